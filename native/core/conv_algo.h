// The shape of a convolution algorithm entry: what a kernel folder (native/cpu) implements and a registry
// (native/dispatch) lists. Each algorithm is {name, supports, workspaceBytes, prepare, run, caps}; the
// registry is ordered (the order is the tie-break and the listing order). Weights are prepared (packed or
// transformed) once into a ConvPrepared, which a ConvPlan keeps with the layer. The CUDA registry's entries
// (dispatch/cuda_conv_registry.h) have the same fields over device tensors.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/conv_desc.h"
#include "core/cpu_features.h"

namespace convnets {

// What an algorithm can do beyond a plain convolution, named where it is registered:
//   {"gemm_1x1", supports, workspace, prepare, run, ConvCaps().takesInputAffine().takesResidual(), runPlanes}
// The lowering passes (native/graph) ask these before fusing into a conv.
struct ConvCaps {
  bool inputAffine = false;  // applies ConvPrepared::inputAffine while packing its input
  bool residual = false;     // honours ConvPrepared::accumulateOutput: output = relu?(conv + output)
  bool tensorCores = false;  // CUDA: runs on tensor cores (needs sm_80+; checked where the device is known)
  ConvCaps& takesInputAffine() { inputAffine = true; return *this; }
  ConvCaps& takesResidual() { residual = true; return *this; }
  ConvCaps& onTensorCores() { tensorCores = true; return *this; }
};

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
  // What the algorithm can fuse, named at its registration (ConvCaps().takesResidual()).
  ConvCaps caps;
  // Optional: run with the input given as one pointer per (image, channel) plane (N·C pointers to H·W
  // floats), so that a channel concatenation read only by this conv is never copied together
  // (compile()'s fuseConcatInput: DenseNet's per-layer torch.cat).
  void (*runPlanes)(const ConvDesc& d, const ConvPrepared& w, const float* const* planes, const float* bias,
                    bool relu, float* output) = nullptr;
};

struct ConvTiming {
  std::string algo;
  double timeMs;
  int64_t workspaceBytes;
};

}  // namespace convnets
