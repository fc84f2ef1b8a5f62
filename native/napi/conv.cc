// Bindings for convolution (conv2d, prepared plans, the algorithm registry and chooser), linear/matmul,
// and the measuring helpers (peakFlops, Winograd transform test hook). No maths here.
#include <memory>

#include "dispatch/conv_plan.h"
#include "dispatch/conv_registry.h"
#include "dispatch/cuda_conv_registry.h"
#include "dispatch/ops.h"
#include "dispatch/ops_blocked.h"
#include "dispatch/prepared_cache.h"
#include "core/threadpool.h"
#include "dispatch/probes.h"
#include "napi/common.h"
#include "napi/trace.h"

namespace convnets::napi {
namespace {

// The geometry every conv binding reads from its options: stride [h, w], padding [h, w] | 'same' | 'valid',
// dilation [h, w], groups, precision? (the binding lists these keys among its known ones).
#define CONV_GEOMETRY_KEYS "stride", "padding", "dilation", "groups", "precision"
ConvOptions convOptions(const Options& opts) {
  const char* op = opts.op();
  ConvOptions o;
  const std::array<int64_t, 2> stride = opts.pair("stride", "values");
  o.strideH = stride[0], o.strideW = stride[1];
  Napi::Value padding = opts.get("padding");
  if (padding.IsString()) {
    std::string p = padding.As<Napi::String>().Utf8Value();
    CN_CHECK(p == "same" || p == "valid", op, ": padding must be a number, [h, w], 'same' or 'valid', got '", p, "'");
    o.samePadding = p == "same";
  } else {
    const std::array<int64_t, 2> pad = opts.pair("padding", "values");
    o.padH = pad[0], o.padW = pad[1];
  }
  const std::array<int64_t, 2> dilation = opts.pair("dilation", "values");
  o.dilationH = dilation[0], o.dilationW = dilation[1];
  o.groups = opts.integer("groups");
  o.precision = opts.precision();
  return o;
}

// Optional workspace limit in bytes (absent/null: none), a non-negative integer.
int64_t workspaceLimitArg(const Options& o) {
  if (!o.has("workspaceLimit")) return kNoWorkspaceLimit;
  int64_t limit = o.integer("workspaceLimit");
  CN_CHECK(limit >= 0, o.op(), ": workspaceLimit must be a non-negative number of bytes, got ", limit);
  return limit;
}

// Optional device of a registry query (absent: 'cpu'). Parsed only: listing the CUDA registry needs no
// GPU; what does (find) checks availability itself.
Device optionalDeviceArg(const Options& o) { return o.has("device") ? Device::parse(o.string("device")) : Device{}; }

// conv2d(input, weight, bias|null, {stride, padding, dilation, groups, relu, algo, workspaceLimit?, precision?})
Napi::Value conv2d(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info[0], "conv2d", "input");
  const Tensor& w = tensorArg(info[1], "conv2d", "weight");
  Tensor b = optionalTensorArg(info[2], "conv2d", "bias");
  Options opts = optionsArg(info[3], "conv2d", {CONV_GEOMETRY_KEYS, "relu", "algo", "workspaceLimit"});
  ConvOptions o = convOptions(opts);
  bool relu = opts.boolean("relu");
  std::string algo = opts.string("algo");
  int64_t limit = workspaceLimitArg(opts);
  return emitConv(info, x, w, b, o, relu, algo, nullptr, limit);
}

// The desc of a registry query (inputShape, weightShape, {geometry…}); `opts` holds the query's options.
ConvDesc descArg(const Napi::CallbackInfo& info, const Options& opts) {
  Shape in = shapeArg(info[0], opts.op(), "input");
  Shape w = shapeArg(info[1], opts.op(), "weight");
  return ConvDesc(in, w, convOptions(opts));
}

// convAlgorithms(input, weight, {geometry…, device?, workspaceLimit?}): the CPU or the CUDA registry (host logic
// only, so the CUDA list works without a GPU); an entry over the workspace limit is unsupported, with that reason.
Napi::Value convAlgorithms(const Napi::CallbackInfo& info) {
  Options opts = optionsArg(info[2], "convAlgorithms", {CONV_GEOMETRY_KEYS, "device", "workspaceLimit"});
  ConvDesc d = descArg(info, opts);
  Device dev = optionalDeviceArg(opts);
  int64_t limit = workspaceLimitArg(opts);
  Napi::Env env = info.Env();
  auto out = Napi::Array::New(env);
  uint32_t i = 0;
  auto add = [&](const char* name, const std::string& why, int64_t ws) {
    auto o = Napi::Object::New(env);
    o.Set("name", name);
    o.Set("supported", why.empty());
    o.Set("reason", why);
    o.Set("workspaceBytes", double(ws));
    out.Set(i++, o);
  };
  if (dev.isCuda()) {
    for (const CudaConvAlgo& a : cudaConvAlgorithms())
      add(a.name, cudaConvSupports(a, d, limit), a.supports(d).empty() ? cudaConvWorkspaceBytes(a, d) : 0);
    return out;
  }
  for (const ConvAlgo& a : convnets::convAlgorithms()) {
    std::string why = d.precision == Precision::Fp32
                          ? a.supports(d)
                          : std::string("the CPU computes in fp32 only (precision '") + precisionName(d.precision) + "')";
    add(a.name, why, why.empty() ? a.workspaceBytes(d, activeIsa()) : 0);
  }
  return out;
}

// convOutputShape(input, weight, {geometry…}): the output shape after conv2d's own checks (summary() and nn
// shape inference); lib/ passes no precision (fp32): shapes do not depend on it.
Napi::Value convOutputShape(const Napi::CallbackInfo& info) {
  ConvDesc d = descArg(info, optionsArg(info[2], "conv2d", {CONV_GEOMETRY_KEYS}));
  return shapeValue(info.Env(), {d.N, d.K, d.outH, d.outW});
}

// findConvAlgorithm(input, weight, {geometry…, device?, workspaceLimit?})
Napi::Value findConvAlgorithm(const Napi::CallbackInfo& info) {
  Options opts = optionsArg(info[2], "findConvAlgorithm", {CONV_GEOMETRY_KEYS, "device", "workspaceLimit"});
  ConvDesc d = descArg(info, opts);
  if (!optionalDeviceArg(opts).isCuda()) requireFp32OnCpu(d.precision, "findConvAlgorithm");
  Device dev = optionalDeviceArg(opts);
  int64_t limit = workspaceLimitArg(opts);
  Napi::Env env = info.Env();
  auto out = Napi::Array::New(env);
  uint32_t i = 0;
  for (const ConvTiming& t : dev.isCuda() ? findCudaConv(d, dev, limit) : findConv(d)) {
    auto o = Napi::Object::New(env);
    o.Set("algo", t.algo);
    o.Set("timeMs", t.timeMs);
    o.Set("workspaceBytes", double(t.workspaceBytes));
    out.Set(i++, o);
  }
  return out;
}

// chooseConvAlgorithm(input, weight, {geometry…, algo, device?, workspaceLimit?})
Napi::Value chooseConvAlgorithm(const Napi::CallbackInfo& info) {
  Options opts = optionsArg(info[2], "chooseConvAlgorithm", {CONV_GEOMETRY_KEYS, "algo", "device", "workspaceLimit"});
  ConvDesc d = descArg(info, opts);
  if (!optionalDeviceArg(opts).isCuda()) requireFp32OnCpu(d.precision, "chooseConvAlgorithm");
  std::string algo = opts.string("algo");
  Device dev = optionalDeviceArg(opts);
  int64_t limit = workspaceLimitArg(opts);
  const char* name = dev.isCuda() ? resolveCudaConvAlgo(d, algo, dev, limit).name : resolveConvAlgo(d, algo).name;
  return Napi::String::New(info.Env(), name);
}

// A prepared layer: the plan lives as long as the JS handle (finalizer frees packed weights).
struct PlanHolder {
  std::shared_ptr<const ConvPlan> plan;  // shared with compiled plans that recorded it
  ConvOptions opts;
  bool relu = false;
  WeakTensor weight, bias;  // for compile()'s passes (BN folding), without keeping the weights alive
};

PlanHolder* planArg(const Napi::Value& v, const char* op) {
  CN_CHECK(v.IsObject() && v.As<Napi::Object>().Get("handle").IsExternal(), op, ": plan must come from convPrepare");
  return v.As<Napi::Object>().Get("handle").As<Napi::External<PlanHolder>>().Data();
}

// convPrepare(weight, bias|null, inputShape, {geometry…, relu, algo, workspaceLimit?}) → handle
// (a weight on CUDA gives a CUDA plan: the CUDA registry, prepared weights on that device)
Napi::Value convPrepare(const Napi::CallbackInfo& info) {
  const Tensor& w = tensorArg(info[0], "convPrepare", "weight");
  Tensor b = optionalTensorArg(info[1], "convPrepare", "bias");
  Shape in = shapeArg(info[2], "convPrepare", "inputShape");
  Options opts = optionsArg(info[3], "convPrepare", {CONV_GEOMETRY_KEYS, "relu", "algo", "workspaceLimit"});
  ConvOptions o = convOptions(opts);
  bool relu = opts.boolean("relu");
  std::string algo = opts.string("algo");
  int64_t limit = workspaceLimitArg(opts);
  ConvDesc d(in, w.shape(), o, b.defined() ? b.numel() : -1);
  CN_CHECK(!b.defined() || b.dim() == 1, "conv2d: bias must be 1-D, got ", shapeStr(b.shape()));
  auto* holder = new PlanHolder();
  holder->plan = std::make_unique<ConvPlan>(d, w, b, algo, relu, limit);
  holder->opts = o;
  holder->relu = relu;
  holder->weight = WeakTensor(w);
  holder->bias = WeakTensor(b);
  int64_t bytes = holder->plan->preparedBytes();
  Napi::Env env = info.Env();
  syncExternalMemory(env);
  auto ext = Napi::External<PlanHolder>::New(env, holder, [](Napi::Env, PlanHolder* h) { delete h; });
  auto o2 = Napi::Object::New(env);
  o2.Set("handle", ext);
  o2.Set("algo", holder->plan->algoName());
  o2.Set("preparedBytes", double(bytes));
  return o2;
}

// convRun(plan, input)
Napi::Value convRun(const Napi::CallbackInfo& info) {
  PlanHolder* h = planArg(info[0], "convRun");
  CN_CHECK(h->plan, "conv2d: the ConvPlan was disposed");
  const Tensor& x = tensorArg(info[1], "conv2d", "input");
  Tensor w = h->weight.lock(), b = h->bias.lock();
  bool weightsAlive = w.defined() && (b.defined() || h->bias.shape.empty());
  return emitConv(info, x, weightsAlive ? w : Tensor(), b, h->opts, h->relu, "", h->plan);
}

// convDispose(plan): frees the prepared weights now rather than at garbage collection (a compiled plan
// that recorded this layer keeps its own reference). Disposing twice is a no-op.
Napi::Value convDispose(const Napi::CallbackInfo& info) {
  PlanHolder* h = planArg(info[0], "convDispose");
  h->plan.reset();
  syncExternalMemory(info.Env());
  return info.Env().Undefined();
}

// linear(input, weight, bias|null, {relu?, precision?}). While compile() traces in a reduced precision on CUDA,
// a constant weight is packed for the tensor cores once, here, and the step runs on the packed copy.
Napi::Value linear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Tensor& x = tensorArg(info[0], "linear", "input");
  const Tensor& w = tensorArg(info[1], "linear", "weight");
  Tensor b = optionalTensorArg(info[2], "linear", "bias");
  Options opts = optionsArg(info[3], "linear", {"relu", "precision"});
  bool relu = opts.boolean("relu", false);
  Precision prec = opts.precision();
  if (prec == Precision::Fp32 && x.device().isCuda()) prec = tracePrecision(env);
  if (tracing(env) && prec != Precision::Fp32 && w.device().isCuda() && w.dim() == 2 && !isTraced(env, w) &&
      !isTraced(env, b)) {
    const Tensor packed = ops::linearPack(w, prec);
    const Shape ws = w.shape();
    return emitFusable(
        info, StepKind::Linear, {x, packed, b},
        [ws, prec](bool r) -> StepFn {
          return [ws, prec, r](const std::vector<Tensor>& in) { return ops::linearPacked(in[0], in[1], ws, in[2], r, prec); };
        },
        relu);
  }
  return emitFusable(
      info, StepKind::Linear, {x, w, b},
      [prec](bool r) -> StepFn {
        return [prec, r](const std::vector<Tensor>& in) { return ops::linear(in[0], in[1], in[2], r, prec); };
      },
      relu);
}

// matmul(a, b, precision?)
Napi::Value matmul(const Napi::CallbackInfo& info) {
  Precision prec = info[2].IsUndefined() || info[2].IsNull() ? Precision::Fp32 : parsePrecision(stringArg(info[2], "matmul", "precision"), "matmul");
  return emit(info, StepKind::Matmul, {tensorArg(info[0], "matmul", "a"), tensorArg(info[1], "matmul", "b")},
              [prec](const std::vector<Tensor>& in) { return ops::matmul(in[0], in[1], prec); });
}

Napi::Value peakFlops(const Napi::CallbackInfo& info) {
  int64_t t = intArg(info[0], "peakFlops", "threads");
  CN_CHECK(t >= 1 && t <= 1024, "peakFlops: threads must be from 1 to 1024, got ", t);
  return Napi::Number::New(info.Env(), probes::peakFlops(int(t)));
}

// Test hook: blockedConvProbe(x|null, weight, bias|null, {geometry…, relu, inputBlocked, outputBlocked, block,
// residual?, inputAffine? {scale, shift, relu}, parts?, channels?, prepared?, kernel?, kernelName?}) runs
// ops::blocked::BlockedConv once,
// so jest reaches the blocked input and output forms (x blocked [N, ceil(C/B), H, W, B] or NCHW; parts: blocked
// tensors of channels[i] channels each, read instead of x). C is the weight's (× groups); N, H, W: dims 0, 2, 3 of
// either layout. prepared: returns instead a function that runs the layer (weights prepared once) on the same
// operands and returns the output (bench/conv-nchwc.ts times it). kernel: 'auto' (default) or a kernel to force
// (BlockedConv's names); kernelName: returns instead the name of the kernel the layer chose (nothing runs).
Napi::Value blockedConvProbe(const Napi::CallbackInfo& info) {
  const char* op = "blockedConvProbe";
  const Tensor& w = tensorArg(info[1], op, "weight");
  Tensor b = optionalTensorArg(info[2], op, "bias");
  Options opts = optionsArg(info[3], op, {CONV_GEOMETRY_KEYS, "relu", "inputBlocked", "outputBlocked", "block",
                                          "residual", "inputAffine", "parts", "channels", "prepared", "kernel",
                                          "kernelName"});
  std::vector<Tensor> parts;
  if (opts.has("parts")) {
    Napi::Value v = opts.get("parts");
    CN_CHECK(v.IsArray(), op, ": parts must be an array of tensors");
    auto a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) parts.push_back(tensorArg(a.Get(i), op, "parts"));
  }
  const Tensor x = parts.empty() ? tensorArg(info[0], op, "input") : parts.at(0);
  CN_CHECK(x.dim() >= 4 && w.dim() == 4, op, ": input must be 4-D or 5-D and weight 4-D, got ", shapeStr(x.shape()),
           " and ", shapeStr(w.shape()));
  const ConvOptions o = convOptions(opts);
  ConvDesc d({x.size(0), w.size(1) * o.groups, x.size(2), x.size(3)}, w.shape(), o, b.defined() ? b.numel() : -1);
  auto conv = std::make_shared<ops::blocked::BlockedConv>(d, w, b, opts.boolean("relu", false), int(opts.integer("block")),
                                                          opts.has("kernel") ? opts.string("kernel") : "auto");
  if (opts.boolean("kernelName", false)) return Napi::String::New(info.Env(), conv->kernelName());
  if (opts.has("inputAffine")) {
    Options a(opts.get("inputAffine"), op, {"scale", "shift", "relu"});
    const Tensor& scale = tensorArg(a.get("scale"), op, "inputAffine.scale");
    const Tensor& shift = tensorArg(a.get("shift"), op, "inputAffine.shift");
    InputAffine m;
    m.scale.assign(scale.data(), scale.data() + scale.numel());
    m.shift.assign(shift.data(), shift.data() + shift.numel());
    m.relu = a.boolean("relu", false);
    conv->setInputAffine(std::move(m));
  }
  const Tensor residual = opts.has("residual") ? tensorArg(opts.get("residual"), op, "residual") : Tensor();
  const bool inBlocked = opts.boolean("inputBlocked", false), outBlocked = opts.boolean("outputBlocked", false);
  const std::vector<int64_t> channels = parts.empty() ? std::vector<int64_t>() : opts.integers("channels");
  auto run = [conv, x, parts, channels, residual, inBlocked, outBlocked]() {
    const Tensor* res = residual.defined() ? &residual : nullptr;
    return parts.empty() ? conv->run(x, inBlocked, res, outBlocked) : conv->runConcat(parts, channels, res, outBlocked);
  };
  if (!opts.boolean("prepared", false)) return wrapTensor(info.Env(), run());
  return Napi::Function::New(info.Env(), [run](const Napi::CallbackInfo& i) -> Napi::Value { return wrapTensor(i.Env(), run()); });
}

// winogradTransform(variant, 'weight'|'input'|'output', Float32Array of whole tiles) → Float32Array
Napi::Value winogradTransform(const Napi::CallbackInfo& info) {
  std::string variant = stringArg(info[0], "winogradTransform", "variant");
  std::string which = stringArg(info[1], "winogradTransform", "which");
  CN_CHECK(info[2].IsTypedArray() && info[2].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array,
           "winogradTransform: data must be a Float32Array");
  auto a = info[2].As<Napi::Float32Array>();
  std::vector<float> in(a.Data(), a.Data() + a.ElementLength());
  std::vector<float> out = probes::winogradTransform(variant, which, in);
  auto r = Napi::Float32Array::New(info.Env(), out.size());
  std::copy(out.begin(), out.end(), r.Data());
  return r;
}

// convCacheStats() → {entries, bytes, limitBytes, hits, misses}: eager conv's prepared-weight cache.
Napi::Value convCacheStats(const Napi::CallbackInfo& info) {
  const PreparedCacheStats s = preparedCacheStats();
  auto o = Napi::Object::New(info.Env());
  o.Set("entries", double(s.entries));
  o.Set("bytes", double(s.bytes));
  o.Set("limitBytes", double(s.limitBytes));
  o.Set("hits", double(s.hits));
  o.Set("misses", double(s.misses));
  return o;
}

// setConvCacheLimit(bytes): 0 turns the cache off.
Napi::Value setConvCacheLimit(const Napi::CallbackInfo& info) {
  const int64_t bytes = intArg(info[0], "setConvCacheLimit", "bytes");
  CN_CHECK(bytes >= 0, "setConvCacheLimit: bytes must be a non-negative integer, got ", bytes);
  setPreparedCacheLimit(bytes);
  return info.Env().Undefined();
}

Napi::Value clearConvCache(const Napi::CallbackInfo& info) {
  clearPreparedCache();
  return info.Env().Undefined();
}

}  // namespace

void initConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, conv2d));
  exports.Set("convAlgorithms", Napi::Function::New(env, convAlgorithms));
  exports.Set("convOutputShape", Napi::Function::New(env, convOutputShape));
  exports.Set("findConvAlgorithm", Napi::Function::New(env, findConvAlgorithm));
  exports.Set("chooseConvAlgorithm", Napi::Function::New(env, chooseConvAlgorithm));
  exports.Set("convPrepare", Napi::Function::New(env, convPrepare));
  exports.Set("convRun", Napi::Function::New(env, convRun));
  exports.Set("convDispose", Napi::Function::New(env, convDispose));
  exports.Set("linear", Napi::Function::New(env, linear));
  exports.Set("matmul", Napi::Function::New(env, matmul));
  exports.Set("peakFlops", Napi::Function::New(env, peakFlops));
  exports.Set("winogradTransform", Napi::Function::New(env, winogradTransform));
  exports.Set("blockedConvProbe", Napi::Function::New(env, blockedConvProbe));
  exports.Set("convCacheStats", Napi::Function::New(env, convCacheStats));
  exports.Set("setConvCacheLimit", Napi::Function::New(env, setConvCacheLimit));
  exports.Set("clearConvCache", Napi::Function::New(env, clearConvCache));
}

}  // namespace convnets::napi
