// A plan step: one recorded op (its StepKind) over numbered slots, plus what the lowering passes merged into
// it, in front of its op and after it. The passes match kinds and fusions, never display strings; the
// display string that plan.ops() and error messages show is derived from them (Step::name()).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dispatch/conv_plan.h"
#include "core/conv_desc.h"
#include "core/tensor.h"

namespace convnets {

// Every op a binding records (napi/*.cc, through emit()). The display name of each is in stepTraits().
enum class StepKind : uint8_t {
  Conv2d,
  Linear,
  Matmul,
  BatchNorm,
  Relu,
  Add,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  LocalResponseNorm,
  Dropout,
  Interpolate,
  Crop2d,
  Softmax,
  LogSoftmax,
  Argmax,
  Cat,
  Reshape,
  To,
  Reorder,        // NCHW ↔ NCHWc at the edge of a blocked region (graph/lower_blocked_layout.cc)
  TestFailingOp,  // the test hook that fails a run on purpose (napi/plan_worker.cc)
};

// How a step's output elements depend on its input elements: what a pass that changes the activation
// layout (NCHW → NCHW8c inside a CPU plan) must know before it lets a step see another layout.
enum class StepClass : uint8_t {
  Conv,         // conv2d: reads every input channel in windows
  Pool,         // max / average / adaptive average pools: windows within each channel's plane
  Elementwise,  // out[i] from in[i] alone (relu, add, a device copy): layout-agnostic while all operands share one
  Channelwise,  // batchNorm: elementwise with per-channel constants; agnostic but for indexing those constants
  Other,        // reads a logical NCHW (or [N, F]) order: GEMMs, reshape, cat, softmax / argmax along a dim, LRN
                // (across channels), interpolate, crop, dropout (its mask is drawn per flat index)
};

struct StepTraits {
  const char* name;  // the display name: the op's name in lib/functional, plan.ops() and errors
  StepClass cls;
  bool fusesRelu;  // the binding records a ReLU-fused variant (emitFusable) for the fuseRelu pass
};
StepTraits stepTraits(StepKind kind);

// An op a lowering pass merged into a step. Where it sits says what it means (Step::before / Step::after).
enum class Fusion : uint8_t {
  Relu,       // "relu": after an op, its output ReLU; before a conv, the ReLU of the input affine map
  BatchNorm,  // "batchNorm": after a conv, folded into its weights; before a conv, its input affine map
  Residual,   // "add": a residual add (+ the other addend) fused into a conv's store
  Concat,     // "cat": a conv reads a channel cat's parts in place
  AvgPool,    // "avgPool2d": after a 1×1 conv, the non-overlapping pool that now runs before it (poolFirst)
};
const char* fusionName(Fusion f);

using StepFn = std::function<Tensor(const std::vector<Tensor>&)>;

// An operand: a slot computed by the plan (slot >= 0), or a constant tensor (slot < 0).
struct StepRef {
  int slot = -1;
  Tensor constant;
};

// A convolution with constant weights: what the lowering passes need to rebuild its prepared plan.
struct ConvLayer {
  ConvDesc desc;
  ConvOptions opts;
  std::string algo;  // the resolved algorithm name, so a rebuilt layer runs the algorithm eager mode ran
  int64_t workspaceLimit = -1;  // CUDA: the eager plan's limit, kept by a rebuilt plan
  Tensor weight, bias;
  bool relu = false;
  std::shared_ptr<const InputAffine> inputAffine;  // a preceding BN (+ ReLU) fused into the input packing
  bool residual = false;  // a following add fused into the store: the step reads the other addend as in[1]
  bool concatInput = false;  // a preceding channel cat fused: the step reads the cat's parts as its inputs
  std::shared_ptr<const ConvPlan> plan;
};
// The step function that runs layer.plan (input = in[0]; the residual in[1] when layer.residual).
StepFn convLayerFn(const ConvLayer& layer);

// A pool's window, for the lowering passes: max and average pools fill the window fields (dilation is 1 for
// average pools), adaptive pools only the output size.
struct PoolWindow {
  int64_t kh = 0, kw = 0, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  bool ceilMode = false, countIncludePad = true;
  int64_t outH = 0, outW = 0;  // adaptiveAvgPool2d
};

struct Step {
  StepKind kind = StepKind::Relu;  // always set by whoever makes the step (emit(), a pass)
  // What lowering merged into this step, in display order: before its op (on its input side) and after it.
  // A ReLU the binding itself fused (F.conv2d(…, relu)) is in `relu` / the conv layer, not here: the
  // display lists what the passes merged.
  std::vector<Fusion> before, after;
  std::vector<StepRef> inputs;
  int output = -1;
  StepFn fn;
  // For the lowering passes; empty when the step cannot take part in them.
  std::function<StepFn()> withRelu;  // the same step with a ReLU fused into its output write
  std::shared_ptr<ConvLayer> conv;   // set on convolutions with constant weights
  double eps = 0;                    // batchNorm: eps
  bool relu = false;                 // batchNorm: fused ReLU
  int64_t concatDim = -1;            // cat: the dimension joined (non-negative)
  std::shared_ptr<const PoolWindow> pool;       // maxPool2d, avgPool2d, adaptiveAvgPool2d: the window
  // avgPool2d made by poolBeforePointwiseConv: the input affine map it took over from the conv (or null).
  std::shared_ptr<const InputAffine> affine;

  // "cat+batchNorm+relu+conv2d+add": the fusions before, the op's name, the fusions after, joined by '+'.
  std::string name() const;
  // Nothing merged into it: the step is the op a binding recorded.
  bool unfused() const { return before.empty() && after.empty(); }
  // Unfused, or with only a ReLU merged after it (the patterns that take "add" and "add+relu" alike).
  bool unfusedButRelu() const {
    return before.empty() && (after.empty() || (after.size() == 1 && after[0] == Fusion::Relu));
  }
};

}  // namespace convnets
