// A compiled plan: the ops of one forward pass, recorded once (napi/trace.cc) as a list of steps over
// numbered slots, then run many times from any thread (napi/plan_worker.cc runs it on a worker).
// Slot 0 is the input; every step reads slots or constants (weights, BN statistics, prepared convs,
// captured by shared storage) and writes one new slot. Plain C++: nothing here touches N-API.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/tensor.h"
#include "graph/lowering.h"
#include "graph/step.h"

namespace convnets {

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

}  // namespace convnets
