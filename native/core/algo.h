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

// Packed or transformed weights in an algorithm's own layout, for the ISA whose GEMM kernel packed them
// (a plan keeps running with that kernel even if the active ISA changes later).
struct ConvPrepared {
  Isa isa = Isa::Generic;
  CpuBuffer data;
  int64_t groupStride = 0;  // floats between the groups' blocks in data
  bool narrowKernel = false;  // packed for the ISA's narrow GEMM kernel (few output columns)
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

// Weights prepared once for one layer; runs any input whose channels match.
class ConvPlan {
 public:
  // weight [K, C/groups, R, S]; bias [K] or undefined; desc is for a representative input.
  ConvPlan(const ConvDesc& d, const Tensor& weight, const Tensor& bias, const std::string& algo, bool relu);
  Tensor run(const Tensor& input, const ConvOptions& opts) const;
  const ConvAlgo& algo() const { return *algo_; }
  const ConvDesc& desc() const { return desc_; }
  int64_t preparedBytes() const { return int64_t(prepared_.data.bytes()); }

 private:
  ConvDesc desc_;
  const ConvAlgo* algo_;
  ConvPrepared prepared_;
  Tensor weight_;  // CUDA plans only: the weights as given (the direct kernel needs no packing)
  Tensor bias_;
  bool relu_;
};

// One-shot conv: prepares the weights and runs (F.conv2d without a plan).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvOptions& opts, bool relu,
              const std::string& algo);

}  // namespace convnets
