// dispatch/cuda_ops.h without CUDA (CMakeLists.txt compiles this file instead of dispatch/cuda_bridge/): no tensor can be on a CUDA device in this build, so these are never
// reached; they throw rather than do nothing, should a caller ever get there.
#include "dispatch/cuda_ops.h"

#include "core/cuda_api.h"
#include "core/error.h"

namespace convnets::cuda_ops {
namespace {
[[noreturn]] void noCuda(const char* op) { fail(op, ": ", cudart::availability().reason); }
}  // namespace

void relu(const Tensor&, Tensor&) { noCuda("relu"); }
void add(const Tensor&, const Tensor&, bool, Tensor&) { noCuda("add"); }
void fill(Tensor&, float) { noCuda("fill"); }
void dropout(const Tensor&, float, uint64_t, Tensor&) { noCuda("dropout"); }
void maxPool2d(const Tensor&, const Pool2dDesc&, Tensor&) { noCuda("maxPool2d"); }
void avgPool2d(const Tensor&, const Pool2dDesc&, bool, Tensor&) { noCuda("avgPool2d"); }
void adaptiveAvgPool2d(const Tensor&, Tensor&) { noCuda("adaptiveAvgPool2d"); }
void localResponseNorm(const Tensor&, int64_t, float, float, float, Tensor&) { noCuda("localResponseNorm"); }
void batchNorm(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, float, bool, Tensor&) {
  noCuda("batchNorm");
}
void softmax(const Tensor&, int64_t, bool, Tensor&) { noCuda("softmax"); }
void cat(const std::vector<Tensor>&, int64_t, Tensor&) { noCuda("cat"); }
void interpolate(const Tensor&, const InterpAxis&, const InterpAxis&, Tensor&) { noCuda("interpolate"); }
void linear(const Tensor&, const Tensor&, const Tensor&, bool, Tensor&) { noCuda("linear"); }
void matmul(const Tensor&, const Tensor&, Tensor&) { noCuda("matmul"); }
void linearTc(const Tensor&, const Tensor&, const Tensor&, bool, Precision, Tensor&) { noCuda("linear"); }
Tensor linearPackTc(const Tensor&, Precision) { noCuda("linear"); }
void linearPackedTc(const Tensor&, const Tensor&, int64_t, const Tensor&, bool, Precision, Tensor&) { noCuda("linear"); }
void matmulTc(const Tensor&, const Tensor&, Precision, Tensor&) { noCuda("matmul"); }
void conv2dDirect(const ConvDesc&, const Tensor&, const Tensor&, const Tensor&, bool, Tensor&) {
  noCuda("conv2d");
}

Tensor convPrepareAsStored(const ConvDesc&, const Tensor&) { noCuda("conv2d"); }
Tensor convPrepareWinograd2(const ConvDesc&, const Tensor&) { noCuda("conv2d"); }
Tensor convPrepareWinograd4(const ConvDesc&, const Tensor&) { noCuda("conv2d"); }
Tensor convPrepareTc(const ConvDesc&, const Tensor&) { noCuda("conv2d"); }
void convLaunchDirect(const CudaConvLaunch&) { noCuda("conv2d"); }
void convLaunchIm2col(const CudaConvLaunch&) { noCuda("conv2d"); }
void convLaunchImplicitGemm(const CudaConvLaunch&) { noCuda("conv2d"); }
void convLaunchGemm1x1(const CudaConvLaunch&) { noCuda("conv2d"); }
void convLaunchWinograd2(const CudaConvLaunch&) { noCuda("conv2d"); }
void convLaunchWinograd4(const CudaConvLaunch&) { noCuda("conv2d"); }
void convLaunchTc(const CudaConvLaunch&) { noCuda("conv2d"); }
void convRun(const CudaConvAlgo&, const ConvDesc&, const Tensor&, const Tensor&, const Tensor&, bool, Tensor&) {
  noCuda("conv2d");
}
double convTimeMs(const CudaConvAlgo&, const ConvDesc&, const Tensor&, const Tensor&, const Tensor&, Tensor&) {
  noCuda("findConvAlgorithm");
}

}  // namespace convnets::cuda_ops
