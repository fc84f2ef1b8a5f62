// A compiled plan: the ops of one forward pass, recorded once (napi/trace.cc) as a list of steps over
// numbered slots, then run many times from any thread (napi/plan_worker.cc runs it on a worker).
// Slot 0 is the input; every step reads slots or constants (weights, BN statistics, prepared convs,
// captured by shared storage) and writes one new slot. Plain C++: nothing here touches N-API.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/arena.h"
#include "dispatch/conv_plan.h"
#include "core/conv_desc.h"
#include "core/tensor.h"

namespace convnets {

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

// An average pool's window, for the lowering passes.
struct AvgPoolWindow {
  int64_t kh, kw, sh, sw, ph, pw;
  bool ceilMode, countIncludePad;
};

struct Step {
  std::string op;  // the op's name, for messages and plan.ops()
  std::vector<StepRef> inputs;
  int output = -1;
  StepFn fn;
  // For the lowering passes; empty when the step cannot take part in them.
  std::function<StepFn()> withRelu;  // the same step with a ReLU fused into its output write
  std::shared_ptr<ConvLayer> conv;   // set on convolutions with constant weights
  double eps = 0;                    // batchNorm: eps
  bool relu = false;                 // batchNorm: fused ReLU
  int64_t concatDim = -1;            // cat: the dimension joined (non-negative)
  std::shared_ptr<const AvgPoolWindow> avgPool;  // avgPool2d: its window
};

struct LoweringOptions {
  bool foldBatchNorm = true;  // inference BN right after a conv → folded into the conv's weights and bias
  bool fuseRelu = true;       // ReLU right after a conv / linear / BN / add → the op's fused epilogue
  bool fuseConcat = true;     // a channel cat read only by a 1×1 conv → the conv reads the parts in place
  bool poolFirst = true;      // 1×1 conv → non-overlapping average pool → pool first, then the conv
  // Not a lowering: a CUDA plan captures its steps into a CUDA graph on the first run and replays it.
  bool cudaGraph = false;
};

class Plan {
 public:
  // steps as recorded; `output` is the slot the forward pass returned. Runs the lowering passes,
  // drops steps the output does not need and computes when each slot can be freed.
  Plan(Shape inputShape, Shape outputShape, Device device, std::vector<Step> steps, int numSlots, int output,
       const LoweringOptions& lowering);

  // Runs the steps in order; intermediates are freed right after their last reader. Thread-safe
  // (const): concurrent runs share only constants. Errors name the failing step.
  Tensor run(const Tensor& input) const { return run(input, nullptr); }
  // The same, and when stepMs is given, the wall time of each step in ms (a CUDA plan synchronises after
  // each step so the time is the step's own): what plan.profile() reports.
  Tensor run(const Tensor& input, std::vector<double>* stepMs) const;

  const Shape& inputShape() const { return inputShape_; }
  const Shape& outputShape() const { return outputShape_; }
  Device device() const { return device_; }
  const std::vector<Step>& steps() const { return steps_; }
  // "off" (not asked for, or a CPU plan), "pending" (captured on the first run), "captured", or why the
  // capture failed (the plan then runs its steps one by one).
  std::string graphStatus() const;
  // CPU plans: bytes of the activation arena (core/arena.h), planned from the first run (0 before it).
  int64_t arenaBytes() const { return arena_.bytes(); }
  const ActivationArena& arena() const { return arena_; }

 private:
  // The steps in order, without the final synchronisation (a capture records them).
  Tensor runSteps(const Tensor& input, std::vector<double>* stepMs) const;
  Tensor runGraph(const Tensor& input) const;
  struct GraphState;
  Shape inputShape_, outputShape_;
  Device device_;
  std::vector<Step> steps_;
  std::vector<std::vector<int>> frees_;  // per step: slots whose last reader it is
  int numSlots_;
  int output_;
  bool cudaGraph_ = false;
  mutable std::mutex graphMu_;  // one replay at a time: the graph's input and output buffers are fixed
  mutable std::shared_ptr<GraphState> graph_;
  mutable std::string graphFailure_;
  mutable ActivationArena arena_;  // CPU plans: every run's intermediates, at offsets planned on the first run
};

// Lowering passes (graph/lowering.cc), each safe to skip.
// Folds each inference batchNorm whose input is a CPU conv's output read by nothing else into that conv.
void foldBatchNorm(std::vector<Step>& steps, int output);
// Moves each relu whose input is read by nothing else into its producer's epilogue (conv, linear, BN, add).
void fuseRelu(std::vector<Step>& steps, int output);
// Moves each inference batchNorm (+ ReLU) whose output only a CPU conv reads, and whose conv's algorithm
// takes an input affine map (gemm_1x1), into that conv's input packing (DenseNet's BN → ReLU → 1×1 conv).
void fuseInputAffine(std::vector<Step>& steps, int output);
// Moves each add (+ ReLU) of a CPU conv's output, read by nothing else, into that conv's store (algorithms
// that take a residual: gemm_1x1, im2col): ResNet's conv3 + identity. The conv then writes into the other
// addend's buffer when the add was its last reader.
void fuseResidualAdd(std::vector<Step>& steps, int output);
// Moves each channel cat whose output only a stride-1 CPU conv reads (one whose algorithm can read its input
// as planes: gemm_1x1) into that conv, which then reads the cat's parts in place: DenseNet's per-layer
// torch.cat of all earlier features, otherwise a growing copy before every layer.
void fuseConcatInput(std::vector<Step>& steps, int output);
// Moves each non-overlapping average pool (stride = window, no padding) whose input only a CPU 1×1 conv
// (stride 1, no padding, no ReLU, no residual) writes in front of that conv: the conv then runs on the pooled
// pixels, and its input affine map and concatenated parts move into the pool step (ops::affineAvgPool).
// DenseNet's transitions (BN → ReLU → 1×1 conv → 2×2/2 average pool) do 4× less conv work.
void poolBeforePointwiseConv(std::vector<Step>& steps, int output);
// Rebuilds the prepared plan of every conv layer a pass changed, and drops the weights kept for the passes.
void finishConvLayers(std::vector<Step>& steps);
// Removes steps whose results the output does not depend on.
void dropDeadSteps(std::vector<Step>& steps, int output);

}  // namespace convnets
