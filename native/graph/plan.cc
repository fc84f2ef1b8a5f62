#include "graph/plan.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include "core/cuda_api.h"
#include "core/error.h"
#include "dispatch/ops_blocked.h"

namespace convnets {

Plan::Plan(Shape inputShape, Shape outputShape, Device device, std::vector<Step> steps, int numSlots, int output,
           const LoweringOptions& lowering)
    : inputShape_(std::move(inputShape)),
      outputShape_(std::move(outputShape)),
      device_(device),
      steps_(std::move(steps)),
      numSlots_(numSlots),
      output_(output),
      cudaGraph_(lowering.cudaGraph && device.isCuda()) {
  dropDeadSteps(steps_, output_);
  if (lowering.foldBatchNorm) foldBatchNorm(steps_, output_);
  if (lowering.fuseRelu) fuseRelu(steps_, output_);
  if (lowering.foldBatchNorm) fuseInputAffine(steps_, output_);
  if (lowering.fuseRelu) fuseResidualAdd(steps_, output_);
  if (lowering.fuseConcat) fuseConcatInput(steps_, output_);
  if (lowering.poolFirst) poolBeforePointwiseConv(steps_, output_);
  if (device.isCpu() && lowering.layout != LoweringOptions::Layout::Nchw)
    lowerBlockedLayout(steps_, numSlots_, output_, inputShape_, ops::blocked::channelBlock());
  finishConvLayers(steps_);
  // Free each intermediate right after its last reader, so peak memory is the widest point of the
  // network rather than the sum of its activations. The output is never freed; the input slot is
  // only the plan's own reference (the caller keeps theirs).
  std::vector<int> lastUse(size_t(numSlots_), -1);
  for (size_t i = 0; i < steps_.size(); ++i)
    for (const StepRef& r : steps_[i].inputs)
      if (r.slot >= 0) lastUse[size_t(r.slot)] = int(i);
  frees_.assign(steps_.size(), {});
  for (int s = 0; s < numSlots_; ++s)
    if (s != output_ && lastUse[size_t(s)] >= 0) frees_[size_t(lastUse[size_t(s)])].push_back(s);
}

// A captured graph with its fixed input and output buffers (from the graph's private pool). The buffers
// are released before the graph, which then hands all its blocks back to the device cache.
struct Plan::GraphState {
  std::unique_ptr<cudart::Graph> graph;
  Tensor in, out;
  ~GraphState() {
    in.release();
    out.release();
    graph.reset();
  }
};

Tensor Plan::run(const Tensor& input, std::vector<double>* stepMs) const {
  CN_CHECK(input.defined(), "plan.run: the input was disposed");
  CN_CHECK(input.shape() == inputShape_ && input.device() == device_, "plan.run: expected an input of shape ",
           shapeStr(inputShape_), " on ", device_.str(), ", got ", shapeStr(input.shape()), " on ",
           input.device().str());
  if (cudaGraph_ && !stepMs) return runGraph(input);
  if (device_.isCpu()) {
    ArenaScope arena(arena_);
    return runSteps(input, stepMs);
  }
  Tensor y = runSteps(input, stepMs);
  // On CUDA the steps only queue kernels: wait for them, so a finished run means a computed output
  // (a worker's promise must not resolve before the work is done).
  if (device_.isCuda()) cudart::synchronize(device_.index);
  return y;
}

std::string Plan::graphStatus() const {
  if (!cudaGraph_) return "off";
  std::lock_guard<std::mutex> lock(graphMu_);
  if (graph_) return "captured";
  return graphFailure_.empty() ? "pending" : graphFailure_;
}

// The first run captures: an ordinary run first (one-time work — module loading, find's timings — happens
// outside the capture), then the steps recorded on the fixed input buffer. Each run copies its input into
// that buffer, replays, and copies the output buffer into a tensor of its own. A capture that fails (a step
// that synchronises or reads back) leaves the reason in graphStatus() and the plan running step by step.
Tensor Plan::runGraph(const Tensor& input) const {
  std::lock_guard<std::mutex> lock(graphMu_);
  if (!graph_ && graphFailure_.empty()) {
    try {
      auto st = std::make_shared<GraphState>();
      st->graph = cudart::newGraph(device_.index);
      (void)runSteps(input, nullptr);
      st->graph->allocate([&] { st->in = Tensor::empty(inputShape_, device_); });
      cudart::copyDeviceToDevice(st->in.data(), input.data(), size_t(input.numel()) * sizeof(float), device_.index);
      st->graph->capture([&] { st->out = runSteps(st->in, nullptr); });
      graph_ = std::move(st);
    } catch (const std::exception& e) {
      graphFailure_ = std::string("capture failed: ") + e.what();
    }
  }
  if (!graph_) {
    Tensor y = runSteps(input, nullptr);
    cudart::synchronize(device_.index);
    return y;
  }
  const size_t inBytes = size_t(input.numel()) * sizeof(float), outBytes = size_t(graph_->out.numel()) * sizeof(float);
  cudart::copyDeviceToDevice(graph_->in.data(), input.data(), inBytes, device_.index);
  graph_->graph->launch();
  Tensor y = Tensor::empty(graph_->out.shape(), device_);
  cudart::copyDeviceToDevice(y.data(), graph_->out.data(), outBytes, device_.index);
  cudart::synchronize(device_.index);
  return y;
}

Tensor Plan::runSteps(const Tensor& input, std::vector<double>* stepMs) const {
  std::vector<Tensor> slots(static_cast<size_t>(numSlots_));
  slots[0] = input;
  std::vector<Tensor> in;
  if (stepMs) stepMs->assign(steps_.size(), 0.0);
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& s = steps_[i];
    const auto t0 = stepMs ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    in.clear();
    // A slot read for the last time, and once, is handed over rather than shared: the step then holds the
    // only reference to an intermediate and may write its output into it (ConvPlan::runResidual).
    for (const StepRef& r : s.inputs) {
      if (r.slot < 0) {
        in.push_back(r.constant);
        continue;
      }
      const bool last = std::count(frees_[i].begin(), frees_[i].end(), r.slot) > 0 &&
                        std::count_if(s.inputs.begin(), s.inputs.end(), [&](const StepRef& o) { return o.slot == r.slot; }) == 1;
      in.push_back(last ? std::move(slots[size_t(r.slot)]) : slots[size_t(r.slot)]);
    }
    try {
      slots[size_t(s.output)] = s.fn(in);
    } catch (const std::exception& e) {
      fail("plan.run: step ", i + 1, " of ", steps_.size(), " (", s.name(), ") failed: ", e.what());
    } catch (...) {  // not an exception object (a foreign library's throw): still this step's Error
      fail("plan.run: step ", i + 1, " of ", steps_.size(), " (", s.name(), ") failed: a non-standard exception was thrown");
    }
    in.clear();  // drop our extra references first, so freeing below really frees
    for (int f : frees_[i]) slots[size_t(f)].release();
    if (stepMs) {
      if (device_.isCuda()) cudart::synchronize(device_.index);
      (*stepMs)[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  return slots[size_t(output_)];
}

}  // namespace convnets
