// The CPU convolution algorithms, one file each; dispatch/conv_registry.cc lists them in the registry.
#pragma once
#include "core/conv_algo.h"
#include "cpu/gemm.h"

namespace convnets::cpu {

ConvAlgo convDirect();          // conv_direct.cc
ConvAlgo convIm2col();          // conv_im2col.cc
ConvAlgo convImplicitGemm();    // conv_implicit_gemm.cc
ConvAlgo convGemm1x1();         // conv_1x1.cc
ConvAlgo convWinograd2x2_3x3(); // conv_winograd_2x2_3x3.cc
ConvAlgo convWinograd4x4_3x3(); // conv_winograd_4x4_3x3.cc
ConvAlgo convDirectNchwc();     // conv_direct_nchwc.cc (kernel: conv_nchwc.cc)

// The GEMM kernel prepared weights were packed for.
const GemmKernel& preparedKernel(const ConvPrepared& w);

// Shared by the GEMM-based algorithms: weights [g][Kg × Cg·R·S] as packed GEMM A panels per group.
void prepareGemmWeights(const ConvDesc& d, const float* weight, Isa isa, ConvPrepared& out);

}  // namespace convnets::cpu

namespace convnets::cpu {

// The group's slice of an InputAffine (scale/shift of its Cg channels), or null pointers for none.
struct AffineView {
  const float* scale = nullptr;
  const float* shift = nullptr;
  bool relu = false;
  // When set, the group's input channel c is the plane rows[c] (H·W floats) rather than xg + c·H·W: the
  // parts of a concatenation read in place (ConvAlgo::runPlanes; packers of algorithms that have it).
  const float* const* rows = nullptr;
};
// Writes columns [j0, j0 + nb) of image n, group g's B operand (Cg·R·S × OH·OW) as packed panels,
// applying `a` to the input on the way when it is set (algorithms that take an input affine map).
using PackColumnsFn = void (*)(const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb,
                               float* dst, const AffineView& a);
// im2col packing for horizontal stride 2 with AVX-512 (im2col_stride2_avx512.cc); nr ≤ 64.
void packColumnsStride2Avx512(const ConvDesc& d, int nr, const float* xg, int64_t j0, int64_t nb, float* dst);
// The GEMM convolution engine shared by im2col and gemm_1x1: tasks over (image, group, column block,
// row block); each packs its column block into an L2-sized buffer and multiplies it by the packed
// weights, bias and ReLU fused into the store.
// bIsInput: the B operand is the input image as it lies (stride-1 1×1), so kernels may read it in place.
// planes: the input as N·C plane pointers instead of x (handed to `pack` as AffineView::rows).
void runGemmConv(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y,
                 PackColumnsFn pack, bool bIsInput = false, const float* const* planes = nullptr);
int64_t gemmConvWorkspace(const ConvDesc& d, Isa isa);

}  // namespace convnets::cpu
