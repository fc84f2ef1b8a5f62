// The convolution algorithm registry and the chooser (cuDNN / oneDNN model).
// Each algorithm is an entry {name, supports, workspaceBytes, prepare, run}; the registry is ordered
// (the order is the tie-break and the listing order). Weights are prepared (packed/transformed) once
// into a ConvPrepared, which a ConvPlan keeps with the layer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/conv_desc.h"
#include "core/cpu_features.h"
#include "core/tensor.h"

namespace convnets {

// A per-input-channel affine map (and ReLU) applied to the input before the convolution: an inference
// batch norm (+ ReLU) that precedes the conv, as in DenseNet's BN → ReLU → 1×1 conv. Algorithms that
// declare takesInputAffine apply it while packing their input (compile()'s lowering fuses it there),
// saving the separate pass over the whole input.
struct InputAffine {
  std::vector<float> scale, shift;  // x·scale[c] + shift[c]
  bool relu = false;
};

// Packed or transformed weights in an algorithm's own layout, for the ISA whose GEMM kernel packed them
// (a plan keeps running with that kernel even if the active ISA changes later).
struct ConvPrepared {
  Isa isa = Isa::Generic;
  CpuBuffer data;
  int64_t groupStride = 0;  // floats between the groups' blocks in data
  bool narrowKernel = false;  // packed for the ISA's narrow GEMM kernel (few output columns)
  std::shared_ptr<const InputAffine> inputAffine;  // set by ConvPlan::setInputAffine, else null
  bool accumulateOutput = false;  // add into the output instead of overwriting it (ConvPlan::runResidual)
};

struct ConvAlgo {
  const char* name;
  // "" when the algorithm can run `d`, else the reason (shown to a caller who forces it).
  std::string (*supports)(const ConvDesc& d);
  // Scratch bytes one run needs (besides input, output and prepared weights).
  int64_t (*workspaceBytes)(const ConvDesc& d, Isa isa);
  // weight: [K, C/groups, R, S] contiguous.
  void (*prepare)(const ConvDesc& d, const float* weight, Isa isa, ConvPrepared& out);
  // output: [N, K, OH, OW]; bias: K floats or null; relu fused into the output write.
  void (*run)(const ConvDesc& d, const ConvPrepared& w, const float* input, const float* bias, bool relu,
              float* output);
  // Applies w.inputAffine when set (only such algorithms may be given one).
  bool takesInputAffine = false;
  // Honours w.accumulateOutput: output = conv + output, then ReLU (a residual add fused into the store).
  bool takesResidual = false;
  // Optional: run with the input given as one pointer per (image, channel) plane (N·C pointers to H·W
  // floats), so that a channel concatenation read only by this conv is never copied together
  // (compile()'s fuseConcatInput: DenseNet's per-layer torch.cat).
  void (*runPlanes)(const ConvDesc& d, const ConvPrepared& w, const float* const* planes, const float* bias,
                    bool relu, float* output) = nullptr;
};

const std::vector<ConvAlgo>& convAlgorithms();
// The entry named `name`; throws listing the known names.
const ConvAlgo& convAlgorithm(const std::string& name);
// The heuristic choice ('auto'): always a supported algorithm.
const ConvAlgo& chooseConvAuto(const ConvDesc& d);

struct ConvTiming {
  std::string algo;
  double timeMs;
  int64_t workspaceBytes;
};
// Times every supported algorithm on `d` (random data), fastest first; the winner is cached per
// (desc, threads, ISA). findConvCached returns the cached winner, timing on a miss.
std::vector<ConvTiming> findConv(const ConvDesc& d);
const ConvAlgo& findConvCached(const ConvDesc& d);
void clearConvFindCache();
// 'auto', 'find' or an algorithm name → the algorithm; a named one that cannot run `d` throws the reason.
const ConvAlgo& resolveConvAlgo(const ConvDesc& d, const std::string& algo);

struct CudaConvAlgo;

// Weights prepared once for one layer; runs any input whose channels match. A plan whose weight is on a
// CUDA device uses the CUDA registry (core/cuda_conv.h) and keeps its prepared weights on that device.
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
  int64_t workspaceLimit_ = -1;
  Tensor bias_;
  bool relu_;
};

// One-shot conv: prepares the weights and runs (F.conv2d without a plan).
// Input on CUDA: the CUDA registry, within workspaceLimit bytes of scratch (< 0: no limit).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvOptions& opts, bool relu,
              const std::string& algo, int64_t workspaceLimit = -1);

}  // namespace convnets
