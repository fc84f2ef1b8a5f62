// One sgemm call per group (conv_kernels.h GroupedGemm): the GEMM-based convolutions all reduce to it.
#include "cuda/conv_kernels.h"

namespace convnets::cuda {

void groupedGemm(const GroupedGemm& gg, cudaStream_t s) {
  for (int64_t g = 0; g < gg.groups; ++g) {
    Gemm m;
    m.M = gg.Kg;
    m.N = gg.cols;
    m.K = gg.depth;
    m.A = gg.A + g * gg.groupStrideA;
    m.lda = gg.depth;
    m.strideA = gg.strideA;
    m.B = gg.B + g * gg.groupStrideB;
    m.ldb = gg.ldb;
    m.strideB = gg.strideB;
    m.C = gg.C + g * gg.groupStrideC;
    m.ldc = gg.ldc;
    m.strideC = gg.strideC;
    m.batch = gg.batch;
    m.bias = gg.bias ? gg.bias + g * gg.Kg : nullptr;
    m.biasMode = gg.bias ? Bias::PerRow : Bias::None;
    m.relu = gg.relu;
    sgemm(m, s);  // checks its own launch
  }
}

}  // namespace convnets::cuda
