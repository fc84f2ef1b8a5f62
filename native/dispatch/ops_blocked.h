// Ops on channel-blocked activations (NCHWc), the layout compiled CPU plans keep between their first and last
// conv (graph/lower_blocked_layout.cc). A blocked activation is a CPU float32 tensor of shape
// [N, ceil(C/B), H, W, B]: channel c of pixel (h, w) sits at [n][c / B][h][w][c % B]. The lanes past C in the
// last block always hold 0 (every op here keeps them 0), so a conv may read whole blocks. C itself is not in
// the shape: the plan carries it (every op that needs it takes it). B is 16 when the active ISA is AVX-512,
// else 8 (channelBlock()); every op accepts either B on every ISA (tests run both everywhere).
//
// Why: with 16 channels of one pixel in one vector, a direct convolution keeps 16 output channels × a row of
// pixels in registers and never repacks its input (oneDNN's and onnxruntime's NCHWc), and pools, adds and
// per-channel affine maps become whole-vector loops. The NCHW ops in ops.h stay the eager layout.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/conv_algo.h"
#include "core/conv_desc.h"
#include "core/tensor.h"
#include "dispatch/ops.h"

namespace convnets::cpu {
struct WinogradVariant;
}

namespace convnets::ops::blocked {

// 16 when the active ISA is AVX-512, else 8.
int channelBlock();
// ceil(C / B).
inline int64_t channelBlocks(int64_t C, int B) { return (C + B - 1) / B; }

// [N, C, H, W] → [N, ceil(C/B), H, W, B] (pad lanes 0), and back (C: the real channel count).
Tensor toBlocked(const Tensor& x, int B);
Tensor fromBlocked(const Tensor& xb, int64_t C);

// torch semantics (ops.h), per channel, on blocked tensors; the output keeps the input's B.
Tensor maxPool2d(const Tensor& xb, Pair kernel, Pair stride, Pair padding, Pair dilation, bool ceilMode);
Tensor avgPool2d(const Tensor& xb, Pair kernel, Pair stride, Pair padding, bool ceilMode, bool countIncludePad);
Tensor adaptiveAvgPool2d(const Tensor& xb, Pair outputSize);
// a + b (same shape), then ReLU when relu.
Tensor add(const Tensor& a, const Tensor& b, bool relu);
Tensor relu(const Tensor& xb);
// x·scale[c] + shift[c] (then ReLU when relu) for c < scale.size() = C; pad lanes stay 0. An inference BN.
Tensor affine(const Tensor& xb, const std::vector<float>& scale, const std::vector<float>& shift, bool relu);
// The channel concatenation of parts with channels[i] real channels each (any counts: a part whose count is
// not a multiple of B shifts the lanes of the parts after it).
Tensor cat(const std::vector<Tensor>& parts, const std::vector<int64_t>& channels);

// The window × window average pool (stride = window, no padding, floor mode) of the channel concatenation of
// the parts, each channel first mapped by x·scale[c] + shift[c] (then ReLU) when scale is non-empty: NCHW's
// ops::affineAvgPool (DenseNet's transitions after compile()'s poolFirst), the same bits. Parts that fill their
// blocks (all but the last a multiple of B) are read in place; others are concatenated first.
Tensor affineAvgPool(const std::vector<Tensor>& parts, const std::vector<int64_t>& channels,
                     const std::vector<float>& scale, const std::vector<float>& shift, bool relu, Pair window);

// A convolution layer with weights prepared once for one kernel, chosen at construction (chooseKernel): the
// direct NCHWc kernel (cpu/conv_nchwc.h), or for wide 3×3 stride-1 layers Winograd F(4×4) / F(2×2)
// (cpu/conv_winograd.h) reading and writing the blocked layout directly. groups == 1.
class BlockedConv {
 public:
  // weight [K, C, R, S]; bias [K] or undefined; relu fused into the store. B: the block of its input and output.
  // kernel: "auto" (chooseKernel), or "direct_nchwc", "winograd_4x4_3x3", "winograd_2x2_3x3" (tests, benches).
  BlockedConv(const ConvDesc& d, const Tensor& weight, const Tensor& bias, bool relu, int B,
              const std::string& kernel = "auto");
  // "" when the kernel can run d (groups 1, dilation 1), else why not.
  static std::string supports(const ConvDesc& d);
  // The kernel "auto" picks for d: Winograd for 3×3 stride-1 layers of at least 64 input channels (F(4×4)
  // from 8×8 outputs up, else F(2×2) when K ≥ 64, as the CPU 'auto' rules C4/C5), else "direct_nchwc".
  static const char* chooseKernel(const ConvDesc& d);
  // The kernel this layer runs (one of chooseKernel's names).
  const char* kernelName() const;
  // A preceding BN (+ ReLU) applied to every input channel before the conv (zero padding stays zero, as
  // torch pads the BN's output). Set before the layer is shared.
  void setInputAffine(InputAffine a);
  // x: blocked [N, ceil(C/B), H, W, B] when inputBlocked, else NCHW [N, C, H, W] (the plan's first conv).
  // residual: null, or a tensor shaped like the output whose values are added before the ReLU (ResNet).
  // Output: blocked [N, ceil(K/B), OH, OW, B] when outputBlocked, else NCHW [N, K, OH, OW].
  Tensor run(const Tensor& x, bool inputBlocked, const Tensor* residual, bool outputBlocked) const;
  // The conv of the channel concatenation of blocked parts (channels[i] each; every count but the last a
  // multiple of B), read in place: DenseNet's torch.cat before each layer is never copied.
  Tensor runConcat(const std::vector<Tensor>& parts, const std::vector<int64_t>& channels, const Tensor* residual,
                   bool outputBlocked) const;
  const ConvDesc& desc() const { return desc_; }
  int block() const { return B_; }
  int64_t preparedBytes() const;

 private:
  ConvDesc desc_;
  int B_;
  bool relu_;
  ConvPrepared prepared_;
  Tensor bias_;
  const cpu::WinogradVariant* wino_ = nullptr;  // null: the direct NCHWc kernel
};

}  // namespace convnets::ops::blocked
