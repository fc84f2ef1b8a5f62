// The trace recorder behind emit() and the traceBegin / traceEnd / traceAbort bindings (lib/compile.ts).
#include "napi/trace.h"

#include <unordered_map>

namespace convnets::napi {

struct Trace {
  // Tensors are identified by storage and shape (a reshape shares storage). The weak reference tells a
  // freed storage from a new one that the caching allocator put at the same address.
  struct Entry {
    std::weak_ptr<Storage> storage;
    Shape shape;
    int slot;
  };
  std::unordered_map<const Storage*, std::vector<Entry>> slots;
  std::vector<Step> steps;
  int numSlots = 0;
  Shape inputShape;
  Device device;
  Precision precision = Precision::Fp32;  // compile({precision}); CUDA only
  std::string untraceable;  // the first reason the recorded plan cannot be trusted
  bool inEmit = false;
  bool tracedArgRead = false;  // a binding read a traced tensor and has not emitted yet
  std::string tracedArgOp;     // that binding's op name
  // Weak references to the handles the forward pass got back: freed when tracing ends, so compiling a
  // large model does not leave its activations waiting for the garbage collector.
  std::vector<Napi::ObjectReference> handles;

  void disposeHandles() {
    for (Napi::ObjectReference& r : handles) {
      if (r.IsEmpty()) continue;
      try {
        Napi::Value v = r.Value();
        if (v.IsObject()) v.As<Napi::Object>().Get("dispose").As<Napi::Function>().Call(v, {});
      } catch (const std::exception&) {
        // freeing early is an optimisation: what fails here is left to the garbage collector
      }
    }
    handles.clear();
  }

  int slotOf(const Tensor& t) const {
    if (!t.defined()) return -1;
    auto it = slots.find(t.storage().get());
    if (it == slots.end()) return -1;
    for (auto e = it->second.rbegin(); e != it->second.rend(); ++e)
      if (e->storage.lock() == t.storage() && e->shape == t.shape()) return e->slot;
    return -1;
  }
  int add(const Tensor& t) {
    int slot = numSlots++;
    slots[t.storage().get()].push_back({t.storage(), t.shape(), slot});
    return slot;
  }
};

namespace {

Trace* active(Napi::Env env) { return env.GetInstanceData<AddonData>()->trace.get(); }

}  // namespace

bool tracing(Napi::Env env) { return active(env) != nullptr; }

Precision tracePrecision(Napi::Env env) {
  Trace* tr = active(env);
  return tr ? tr->precision : Precision::Fp32;
}

bool isTraced(Napi::Env env, const Tensor& t) {
  Trace* tr = active(env);
  return tr && tr->slotOf(t) >= 0;
}

Napi::Value emit(const Napi::CallbackInfo& info, StepKind kind, std::vector<Tensor> inputs, StepFn fn,
                 EmitExtras extras) {
  Napi::Env env = info.Env();
  Tensor out = fn(inputs);
  Trace* tr = active(env);
  if (!tr) return wrapTensor(env, std::move(out));
  Step s;
  s.kind = kind;
  bool traced = false;
  for (Tensor& x : inputs) {
    int slot = tr->slotOf(x);
    traced = traced || slot >= 0;
    s.inputs.push_back(slot >= 0 ? StepRef{slot, Tensor()} : StepRef{-1, std::move(x)});
  }
  // Computed from constants only: a constant itself, computed once now (later steps capture it). Its
  // handle is not freed at the end of tracing: the model may keep such a tensor (a cached weight view).
  if (!traced) {
    tr->tracedArgRead = false;
    tr->inEmit = true;
    Napi::Object v = wrapTensor(env, std::move(out));
    tr->inEmit = false;
    return v;
  }
  s.output = tr->add(out);
  s.fn = std::move(fn);
  s.withRelu = std::move(extras.withRelu);
  s.conv = std::move(extras.conv);
  s.eps = extras.eps;
  s.relu = extras.relu;
  s.concatDim = extras.concatDim;
  s.pool = std::move(extras.pool);
  tr->steps.push_back(std::move(s));
  tr->tracedArgRead = false;
  tr->inEmit = true;
  Napi::Object v = wrapTensor(env, std::move(out));
  tr->inEmit = false;
  tr->handles.push_back(Napi::Weak(v));
  return v;
}

Napi::Value emitFusable(const Napi::CallbackInfo& info, StepKind kind, std::vector<Tensor> inputs,
                        std::function<StepFn(bool relu)> make, bool relu, EmitExtras extras) {
  // Keeps the traits table true: a pass that asks stepTraits() which kinds take a ReLU must see them all.
  CN_CHECK(stepTraits(kind).fusesRelu, "emitFusable: ", stepTraits(kind).name, " lacks fusesRelu in graph/step.cc");
  if (!relu) extras.withRelu = [make] { return make(true); };
  extras.relu = relu;
  return emit(info, kind, std::move(inputs), make(relu), std::move(extras));
}

static Napi::Value emitConvAs(const Napi::CallbackInfo& info, const Tensor& input, const Tensor& weight,
                              const Tensor& bias, const ConvOptions& opts, bool relu, const std::string& algo,
                              std::shared_ptr<const ConvPlan> plan, int64_t workspaceLimit, bool constantWeights);

Napi::Value emitConv(const Napi::CallbackInfo& info, const Tensor& input, const Tensor& weight, const Tensor& bias,
                     const ConvOptions& opts, bool relu, const std::string& algo, std::shared_ptr<const ConvPlan> plan,
                     int64_t workspaceLimit) {
  Napi::Env env = info.Env();
  bool constantWeights = weight.defined() && !isTraced(env, weight) && !isTraced(env, bias);
  ConvOptions o = opts;
  if (tracePrecision(env) != Precision::Fp32 && opts.precision == Precision::Fp32 && input.device().isCuda() &&
      weight.defined()) {
    // compile({precision}): every conv of the plan in it; a module's fp32-prepared plan is prepared anew.
    // Its algorithm is measured ('find', cached per shape), like cudnn.benchmark: the tensor cores where
    // they are faster, else an fp32 algorithm (more exact, never slower than the fp32 plan).
    o.precision = tracePrecision(env);
    plan = nullptr;
    const std::string measured = algo.empty() || algo == "auto" ? "find" : algo;
    return emitConvAs(info, input, weight, bias, o, relu, measured, nullptr, workspaceLimit, constantWeights);
  }
  return emitConvAs(info, input, weight, bias, o, relu, algo, std::move(plan), workspaceLimit, constantWeights);
}

static Napi::Value emitConvAs(const Napi::CallbackInfo& info, const Tensor& input, const Tensor& weight,
                              const Tensor& bias, const ConvOptions& opts, bool relu, const std::string& algo,
                              std::shared_ptr<const ConvPlan> plan, int64_t workspaceLimit, bool constantWeights) {
  Napi::Env env = info.Env();
  if (tracing(env) && constantWeights) {
    auto L = std::make_shared<ConvLayer>();
    L->desc = ConvDesc(input.shape(), weight.shape(), opts, bias.defined() ? bias.numel() : -1);
    L->opts = opts;
    L->weight = weight;
    L->bias = bias;
    L->relu = relu;
    L->plan = plan ? std::move(plan) : std::make_shared<const ConvPlan>(L->desc, weight, bias, algo, relu, workspaceLimit);
    L->algo = L->plan->algoName();
    L->workspaceLimit = L->plan->workspaceLimit();
    EmitExtras extras;
    extras.conv = L;
    extras.relu = relu;
    return emit(info, StepKind::Conv2d, {input}, convLayerFn(*L), extras);
  }
  if (plan) {
    return emit(info, StepKind::Conv2d, {input},
                [plan, opts](const std::vector<Tensor>& in) { return plan->run(in[0], opts); });
  }
  // Eager (not tracing): the weight's prepared form is cached (dispatch/prepared_cache.h). A traced step
  // whose weight is computed from the input gets a new weight every run: nothing to reuse.
  const bool cache = !tracing(env);
  return emitFusable(
      info, StepKind::Conv2d, {input, weight, bias},
      [opts, algo, workspaceLimit, cache](bool r) -> StepFn {
        return [opts, algo, r, workspaceLimit, cache](const std::vector<Tensor>& in) {
          return conv2d(in[0], in[1], in[2], opts, r, algo, workspaceLimit, cache);
        };
      },
      relu);
}

void noteTensorArg(Napi::Env env, const Tensor& t, const char* op) {
  Trace* tr = active(env);
  if (tr && !tr->inEmit && tr->slotOf(t) >= 0) tr->tracedArgRead = true, tr->tracedArgOp = op;
}

void noteTensorResult(Napi::Env env) {
  Trace* tr = active(env);
  if (tr && !tr->inEmit && tr->tracedArgRead && tr->untraceable.empty())
    tr->untraceable = "it calls " + tr->tracedArgOp + ", a native op that cannot be traced, on a tensor computed from the input";
}

void noteValuesRead(Napi::Env env, const Tensor& t) {
  Trace* tr = active(env);
  if (tr && tr->untraceable.empty() && tr->slotOf(t) >= 0)
    tr->untraceable = "it reads the values of a tensor computed from the input (data()); a plan cannot follow "
                      "data-dependent control flow";
}

namespace {

// traceBegin(input): starts recording in this env; the input becomes slot 0.
Napi::Value traceBegin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* data = env.GetInstanceData<AddonData>();
  CN_CHECK(!data->trace, "compile: another compile() is already tracing");
  const Tensor& x = tensorArg(info[0], "compile", "input");
  auto tr = std::make_shared<Trace>();
  tr->inputShape = x.shape();
  tr->device = x.device();
  if (!info[1].IsUndefined()) tr->precision = parsePrecision(stringArg(info[1], "compile", "precision"), "compile");
  CN_CHECK(tr->precision == Precision::Fp32 || x.device().isCuda(), "compile: precision '",
           precisionName(tr->precision), "' runs on CUDA tensor cores only; the CPU computes in fp32");
  tr->add(x);
  data->trace = std::move(tr);
  return env.Undefined();
}

// traceEnd(output, {foldBatchNorm, fuseRelu, fuseConcat, poolFirst, cudaGraph?, layout?}) → Plan. Always ends the trace.
Napi::Value traceEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* data = env.GetInstanceData<AddonData>();
  CN_CHECK(data->trace, "compile: no trace is active");
  std::shared_ptr<Trace> tr = std::move(data->trace);
  data->trace = nullptr;
  struct Cleanup {
    Trace& t;
    ~Cleanup() { t.disposeHandles(); }
  } cleanup{*tr};
  const Tensor& y = tensorArg(info[0], "compile", "output");
  Options o = optionsArg(info[1], "compile", {"foldBatchNorm", "fuseRelu", "fuseConcat", "poolFirst", "cudaGraph", "layout"});
  LoweringOptions lowering;
  lowering.foldBatchNorm = o.boolean("foldBatchNorm");
  lowering.fuseRelu = o.boolean("fuseRelu");
  lowering.fuseConcat = o.boolean("fuseConcat");
  lowering.poolFirst = o.boolean("poolFirst");
  lowering.cudaGraph = o.boolean("cudaGraph", false);
  const std::string layout = o.has("layout") ? o.string("layout") : "auto";
  CN_CHECK(layout == "auto" || layout == "nchw" || layout == "blocked",
           "compile: layout must be 'auto', 'nchw' or 'blocked', got '", layout, "'");
  lowering.layout = layout == "nchw" ? LoweringOptions::Layout::Nchw
                    : layout == "blocked" ? LoweringOptions::Layout::Blocked : LoweringOptions::Layout::Auto;
  CN_CHECK(tr->untraceable.empty(), "compile: the model cannot be compiled: ", tr->untraceable);
  int out = tr->slotOf(y);
  CN_CHECK(out >= 0, "compile: the model's output does not depend on its input (or was made by an op that "
                     "cannot be traced)");
  auto plan = std::make_shared<const Plan>(tr->inputShape, y.shape(), tr->device, std::move(tr->steps),
                                           tr->numSlots, out, lowering);
  return wrapPlan(env, std::move(plan));
}

Napi::Value traceAbort(const Napi::CallbackInfo& info) {
  auto* data = info.Env().GetInstanceData<AddonData>();
  std::shared_ptr<Trace> tr = std::move(data->trace);
  data->trace = nullptr;
  if (tr) tr->disposeHandles();
  return info.Env().Undefined();
}

}  // namespace

void initTrace(Napi::Env env, Napi::Object exports) {
  exports.Set("traceBegin", Napi::Function::New(env, traceBegin));
  exports.Set("traceEnd", Napi::Function::New(env, traceEnd));
  exports.Set("traceAbort", Napi::Function::New(env, traceAbort));
}

}  // namespace convnets::napi
