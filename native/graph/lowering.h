// The lowering passes over a recorded plan, one file each (lower_*.cc), run in the order of Plan's
// constructor (plan.cc). Each rewrites only patterns it can prove equivalent (a single reader, constant
// operands on the CPU) and otherwise leaves the steps alone: skipping a pass is always safe. Passes match
// steps by StepKind and fusions (step.h), never by display strings.
#pragma once
#include <vector>

#include "graph/step.h"

namespace convnets {

struct LoweringOptions {
  bool foldBatchNorm = true;  // inference BN right after a conv → folded into the conv's weights and bias
  bool fuseRelu = true;       // ReLU right after a conv / linear / BN / add → the op's fused epilogue
  bool fuseConcat = true;     // a channel cat read only by a 1×1 conv → the conv reads the parts in place
  bool poolFirst = true;      // 1×1 conv → non-overlapping average pool → pool first, then the conv
  // CPU plans: activations in the channel-blocked layout (NCHWc, ops::blocked) between the first conv and the
  // last. Nchw keeps NCHW; Auto (the library's choice) and Blocked block every conv the blocked kernels run —
  // today the same plan: Auto may come to differ by measurement, Blocked asks for the layout itself (tests).
  enum class Layout : uint8_t { Nchw, Auto, Blocked } layout = Layout::Auto;
  // Not a lowering: a CUDA plan captures its steps into a CUDA graph on the first run and replays it.
  bool cudaGraph = false;
};

// lower_fold_batchnorm.cc: folds each inference batchNorm whose input is a conv's output read by nothing
// else into that conv (after: BatchNorm, and Relu when the BN had one).
void foldBatchNorm(std::vector<Step>& steps, int output);
// lower_relu.cc: moves each relu whose input is read by nothing else into its producer's epilogue (conv,
// linear, BN, add).
void fuseRelu(std::vector<Step>& steps, int output);
// lower_input_affine.cc: moves each inference batchNorm (+ ReLU) whose output only a CPU conv reads, and whose
// conv's algorithm takes an input affine map (gemm_1x1), into that conv's input packing (DenseNet's BN → ReLU →
// 1×1 conv).
void fuseInputAffine(std::vector<Step>& steps, int output);
// lower_residual.cc: moves each add (+ ReLU) of a CPU conv's output, read by nothing else, into that conv's
// store (algorithms that take a residual: gemm_1x1, im2col): ResNet's conv3 + identity. The conv then writes
// into the other addend's buffer when the add was its last reader.
void fuseResidualAdd(std::vector<Step>& steps, int output);
// lower_concat.cc: moves each channel cat whose output only a stride-1 CPU conv reads (one whose algorithm can
// read its input as planes: gemm_1x1) into that conv, which then reads the cat's parts in place: DenseNet's
// per-layer torch.cat of all earlier features, otherwise a growing copy before every layer.
void fuseConcatInput(std::vector<Step>& steps, int output);
// lower_pool_first.cc: moves each non-overlapping average pool (stride = window, no padding) whose input only a
// CPU 1×1 conv (stride 1, no padding, no ReLU, no residual) writes in front of that conv: the conv then runs on
// the pooled pixels, and its input affine map and concatenated parts move into the pool step
// (ops::affineAvgPool). DenseNet's transitions (BN → ReLU → 1×1 conv → 2×2/2 average pool) do 4× less conv
// work.
void poolBeforePointwiseConv(std::vector<Step>& steps, int output);
// lower_blocked_layout.cc: assigns each slot of a CPU plan a layout, NCHW or NCHWc (ops::blocked, block
// `block`), from the convs outward: a conv the policy blocks reads either layout and writes NCHWc; pools, ReLU,
// add, batchNorm and channel cats follow their inputs' layout; every other step reads NCHW, through a Reorder
// step inserted where a blocked slot meets it (one per slot, shared by all its NCHW readers). The plan's output
// is always NCHW. Adds slots (numSlots grows). Runs before finishConvLayers: a blocked conv prepares its own
// weights from the layer the passes left.
void lowerBlockedLayout(std::vector<Step>& steps, int& numSlots, int output, const Shape& inputShape, int block);
// lower_conv_layers.cc: rebuilds the prepared plan of every conv layer a pass changed, and drops the weights
// kept for the passes. The last pass.
void finishConvLayers(std::vector<Step>& steps);
// lower_dead_steps.cc: removes steps whose results the output does not depend on.
void dropDeadSteps(std::vector<Step>& steps, int output);

}  // namespace convnets
