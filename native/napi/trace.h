// Tracing at the binding layer: every tensor op binding parses its arguments into C++ values and hands
// the computation to emit() as a closure over them. Eagerly, emit just runs it. While compile() traces
// a forward pass (traceBegin … traceEnd), emit also records the closure as a plan step: tensors made
// inside the trace become numbered slots, tensors from outside (weights, statistics) become constants.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "graph/plan.h"
#include "napi/common.h"

namespace convnets::napi {

// What the lowering passes may use about a step (all optional).
struct EmitExtras {
  std::function<StepFn()> withRelu;  // the same op with a ReLU fused into its output write
  std::shared_ptr<ConvLayer> conv;   // a conv with constant weights and its prepared plan
  double eps = 0;                    // batchNorm's eps
  bool relu = false;                 // the op already fuses a ReLU
  int64_t concatDim = -1;            // cat: the dimension joined
  std::shared_ptr<const PoolWindow> pool;  // the pools: their window
};

// Runs fn(inputs), records it as a step of this kind when tracing, and returns the wrapped result.
Napi::Value emit(const Napi::CallbackInfo& info, StepKind kind, std::vector<Tensor> inputs, StepFn fn,
                 EmitExtras extras = {});
// For ops with a fusable ReLU epilogue (stepTraits(kind).fusesRelu): make(relu) gives the step function;
// the pass may ask for make(true).
Napi::Value emitFusable(const Napi::CallbackInfo& info, StepKind kind, std::vector<Tensor> inputs,
                        std::function<StepFn(bool relu)> make, bool relu, EmitExtras extras = {});

// True while a trace is active in this env: bindings may then prepare constant work once (conv weights).
bool tracing(Napi::Env env);
// The precision compile() asked for (fp32 when not tracing or on the CPU): a CUDA plan's convs and linears
// are recorded in it (weights packed once, at trace time).
Precision tracePrecision(Napi::Env env);
// Whether `t` is an operand computed from the traced input (false when not tracing).
bool isTraced(Napi::Env env, const Tensor& t);

// Hooks for what tracing cannot follow: a binding without emit() reading a traced tensor
// (tensorArg → noteTensorArg, then wrapTensor → noteTensorResult), and reading traced values (data()).
void noteTensorArg(Napi::Env env, const Tensor& t, const char* op);
void noteTensorResult(Napi::Env env);
void noteValuesRead(Napi::Env env, const Tensor& t);

// The Plan handle (napi/plan_worker.cc).
Napi::Object wrapPlan(Napi::Env env, std::shared_ptr<const Plan> plan);

}  // namespace convnets::napi

namespace convnets::napi {

// A weak reference to a tensor: lets a handle remember what the lowering passes may need (a prepared
// conv's weights) without keeping that memory alive. lock() is undefined once the storage is gone.
struct WeakTensor {
  WeakTensor() = default;
  explicit WeakTensor(const Tensor& t) : storage(t.storage()), shape(t.shape()) {}
  Tensor lock() const {
    auto s = storage.lock();
    return s ? Tensor::fromStorage(std::move(s), shape) : Tensor();
  }
  std::weak_ptr<Storage> storage;
  Shape shape;
};

// A conv: while tracing with constant weights, recorded as a layer with its prepared plan (`plan`, or
// one prepared here when null) so the passes can fold and fuse into it; otherwise a plain step.
Napi::Value emitConv(const Napi::CallbackInfo& info, const Tensor& input, const Tensor& weight, const Tensor& bias,
                     const ConvOptions& opts, bool relu, const std::string& algo,
                     std::shared_ptr<const ConvPlan> plan = nullptr, int64_t workspaceLimit = -1);

}  // namespace convnets::napi
