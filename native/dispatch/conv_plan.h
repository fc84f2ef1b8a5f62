// A convolution layer with its weights prepared once (ConvPlan), and the one-shot conv2d; either device:
// CPU plans run an entry of dispatch/conv_registry.h, CUDA plans one of dispatch/cuda_conv_registry.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/conv_algo.h"
#include "core/conv_desc.h"
#include "core/tensor.h"

namespace convnets {

struct CudaConvAlgo;

// Weights prepared once for one layer; runs any input whose channels match. A plan whose weight is on a
// CUDA device uses the CUDA registry (dispatch/cuda_conv_registry.h) and keeps its prepared weights on that device.
class ConvPlan {
 public:
  // weight [K, C/groups, R, S]; bias [K] or undefined; desc is for a representative input.
  // workspaceLimit (CUDA only; < 0: none): algorithms needing more scratch bytes are not chosen.
  ConvPlan(const ConvDesc& d, const Tensor& weight, const Tensor& bias, const std::string& algo, bool relu,
           int64_t workspaceLimit = -1);
  Tensor run(const Tensor& input, const ConvOptions& opts) const;
  // Applies `a` to every input channel before the convolution from now on (CPU plans whose algorithm
  // takes it; throws otherwise). Not thread-safe: set it before the plan is shared.
  void setInputAffine(InputAffine a);
  // Makes the plan a residual block's last conv: runResidual(x, r) then returns relu?(conv(x) + r), the
  // sum formed in the GEMM's store (the residual enters with the first K block, so the rounding differs from
  // conv then add only in order). CPU plans whose algorithm takes it.
  void setResidual();
  Tensor runResidual(const Tensor& input, const Tensor& residual, const ConvOptions& opts) const;
  // The conv of the channel concatenation of `parts` (each [N, Ci, H, W], the Ci summing to the plan's
  // input channels), read in place (ConvAlgo::runPlanes). CPU plans whose algorithm has it.
  Tensor runConcat(const std::vector<Tensor>& parts, const ConvOptions& opts) const;
  // CPU plans only (the CUDA registry's entries are CudaConvAlgo); algoName() works for both.
  const ConvAlgo& algo() const;
  const char* algoName() const;
  const ConvDesc& desc() const { return desc_; }
  int64_t workspaceLimit() const { return workspaceLimit_; }
  int64_t preparedBytes() const;

 private:
  ConvDesc desc_;
  const ConvAlgo* algo_;
  ConvPrepared prepared_;
  const CudaConvAlgo* cudaAlgo_ = nullptr;  // CUDA plans: the entry, its prepared weights on the device
  Tensor cudaPrepared_;
  bool cudaPreparedOwn_ = false;  // a transformed copy (Winograd, tensor-core packing), not the weight itself
  int64_t workspaceLimit_ = -1;
  Tensor bias_;
  bool relu_;
};

// One-shot conv: prepares the weights and runs (F.conv2d without a plan).
// Input on CUDA: the CUDA registry, within workspaceLimit bytes of scratch (< 0: no limit).
// cachePrepared (CPU): take the prepared weights from, and keep them in, dispatch/prepared_cache.h. Eager
// calls from JavaScript do; a compiled plan's step whose weight is computed per run does not (its storage is
// new every run, and an arena may rewrite one in place).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvOptions& opts, bool relu,
              const std::string& algo, int64_t workspaceLimit = -1, bool cachePrepared = false);

}  // namespace convnets
