// Direct convolution on channel-blocked activations (NCHWc, dispatch/ops_blocked.h), in the style of oneDNN's
// and onnxruntime MLAS's NCHWc kernels: B output channels (one vector) × a run of output pixels of one row
// stay in registers while the input channels, kernel rows and columns stream past; each weight vector is
// loaded once per (input channel, r, s) and reused across the run, each input value is one broadcast.
// groups 1, dilation 1, any stride and padding. Shapes are checked by the caller (dispatch/blocked_conv.cc,
// the registry's "direct_nchwc").
#pragma once
#include <cstdint>
#include <string>

#include "core/conv_algo.h"
#include "core/conv_desc.h"
#include "core/cpu_features.h"

namespace convnets::cpu {

// "" when the kernel runs d, else why not.
std::string nchwcSupports(const ConvDesc& d);
// Weights [K, C, R, S] → [ceil(K/B)][C][R][S][B]: output channels innermost, zero past K (so the pad lanes
// of a blocked output come out as bias 0 + 0).
int64_t nchwcWeightFloats(const ConvDesc& d, int B);
void prepareNchwcWeights(const ConvDesc& d, const float* weight, int B, float* out);

// Where the input comes from. NCHW [N, C, H, W] (blocked false, parts[0]), or blocked parts: part i is
// [N, ceil(channels[i]/B), H, W, B], every count but the last a multiple of B (one part: the whole input).
struct NchwcInput {
  bool blocked = false;
  const float* const* parts = nullptr;
  const int64_t* channels = nullptr;
  int count = 1;
  const InputAffine* affine = nullptr;  // applied to the real channels before padding (pads stay exactly 0)
};

// Where the result goes: blocked [N, ceil(K/B), OH, OW, B] or NCHW; residual (same layout, or null; may be
// y itself) is added before the ReLU.
struct NchwcOutput {
  float* y = nullptr;
  bool blocked = false;
  const float* residual = nullptr;
};

// Whether run() copies the input into a zero-padded blocked scratch (padding, NCHW input, an input affine map
// or several parts) rather than reading it in place.
bool nchwcGathers(const ConvDesc& d, const NchwcInput& in);
// Scratch floats one run needs (the gathered image and a padded bias), to be handed to convNchwc.
int64_t nchwcWorkspaceFloats(const ConvDesc& d, int B, bool gathers);

// weight: prepared for block B; bias: K floats or null; isa picks the compiled variant (any B on any ISA).
void convNchwc(const ConvDesc& d, int B, Isa isa, const float* weight, const float* bias, bool relu,
               const NchwcInput& in, const NchwcOutput& out, float* workspace);

}  // namespace convnets::cpu
