// Bindings for convolution (conv2d, prepared plans, the algorithm registry and chooser), linear/matmul,
// and the measuring helpers (peakFlops, Winograd transform test hook). No maths here.
#include <memory>

#include "dispatch/conv_plan.h"
#include "dispatch/conv_registry.h"
#include "dispatch/cuda_conv_registry.h"
#include "dispatch/ops.h"
#include "dispatch/prepared_cache.h"
#include "core/threadpool.h"
#include "dispatch/probes.h"
#include "napi/common.h"
#include "napi/trace.h"

namespace convnets::napi {
namespace {

std::pair<int64_t, int64_t> pairArg(const Napi::Value& v, const char* op, const char* name) {
  std::vector<int64_t> p = intsArg(v, op, name);
  CN_CHECK(p.size() == 2, op, ": ", name, " must have 2 values [h, w], got ", p.size());
  return {p[0], p[1]};
}

// (stride [h,w], padding [h,w] | 'same', dilation [h,w], groups) at info[i..i+3].
ConvOptions optionsArg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  ConvOptions o;
  std::tie(o.strideH, o.strideW) = pairArg(info[i], op, "stride");
  if (info[i + 1].IsString()) {
    std::string p = info[i + 1].As<Napi::String>().Utf8Value();
    CN_CHECK(p == "same" || p == "valid", op, ": padding must be a number, [h, w], 'same' or 'valid', got '", p, "'");
    o.samePadding = p == "same";
  } else {
    std::tie(o.padH, o.padW) = pairArg(info[i + 1], op, "padding");
  }
  std::tie(o.dilationH, o.dilationW) = pairArg(info[i + 2], op, "dilation");
  o.groups = intArg(info[i + 3], op, "groups");
  return o;
}

// Optional workspace limit in bytes (undefined/null: none), a non-negative integer.
int64_t workspaceLimitArg(const Napi::Value& v, const char* op) {
  if (v.IsUndefined() || v.IsNull()) return kNoWorkspaceLimit;
  int64_t limit = intArg(v, op, "workspaceLimit");
  CN_CHECK(limit >= 0, op, ": workspaceLimit must be a non-negative number of bytes, got ", limit);
  return limit;
}

// Optional device of a registry query (undefined: 'cpu'). Parsed only: listing the CUDA registry needs no
// GPU; what does (find) checks availability itself.
Device optionalDeviceArg(const Napi::Value& v, const char* op) {
  return v.IsUndefined() || v.IsNull() ? Device{} : Device::parse(stringArg(v, op, "device"));
}

// Optional precision (undefined: fp32).
Precision precisionArg(const Napi::Value& v, const char* op) {
  return v.IsUndefined() || v.IsNull() ? Precision::Fp32 : parsePrecision(stringArg(v, op, "precision"), op);
}

// conv2d(input, weight, bias|null, stride, padding, dilation, groups, relu, algo, workspaceLimit?, precision?)
Napi::Value conv2d(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info[0], "conv2d", "input");
  const Tensor& w = tensorArg(info[1], "conv2d", "weight");
  Tensor b = optionalTensorArg(info[2], "conv2d", "bias");
  ConvOptions o = optionsArg(info, 3, "conv2d");
  bool relu = boolArg(info[7], "conv2d", "relu");
  std::string algo = stringArg(info[8], "conv2d", "algo");
  int64_t limit = workspaceLimitArg(info[9], "conv2d");
  o.precision = precisionArg(info[10], "conv2d");
  return emitConv(info, x, w, b, o, relu, algo, nullptr, limit);
}

// desc from (inputShape, weightShape, stride, padding, dilation, groups) and the precision at `precisionAt`
ConvDesc descArg(const Napi::CallbackInfo& info, const char* op, size_t precisionAt) {
  Shape in = shapeArg(info[0], op, "input");
  Shape w = shapeArg(info[1], op, "weight");
  ConvOptions o = optionsArg(info, 2, op);
  o.precision = precisionArg(info[precisionAt], op);
  return ConvDesc(in, w, o);
}

// convAlgorithms(desc..., device?, workspaceLimit?, precision?): the CPU or the CUDA registry (host logic only,
// so the CUDA list works without a GPU); an entry over the workspace limit is unsupported, with that reason.
Napi::Value convAlgorithms(const Napi::CallbackInfo& info) {
  ConvDesc d = descArg(info, "convAlgorithms", 8);
  Device dev = optionalDeviceArg(info[6], "convAlgorithms");
  int64_t limit = workspaceLimitArg(info[7], "convAlgorithms");
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
      add(a.name, cudaConvSupports(a, d, limit), a.supports(d).empty() ? a.workspaceBytes(d) : 0);
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

// convOutputShape(desc...): the output shape after conv2d's own checks (summary() and nn shape inference).
Napi::Value convOutputShape(const Napi::CallbackInfo& info) {
  ConvDesc d = descArg(info, "conv2d", 6);  // info[6] is undefined: fp32 (shapes do not depend on precision)
  return shapeValue(info.Env(), {d.N, d.K, d.outH, d.outW});
}

// findConvAlgorithm(desc..., device?, workspaceLimit?, precision?)
Napi::Value findConvAlgorithm(const Napi::CallbackInfo& info) {
  ConvDesc d = descArg(info, "findConvAlgorithm", 8);
  if (!optionalDeviceArg(info[6], "findConvAlgorithm").isCuda()) requireFp32OnCpu(d.precision, "findConvAlgorithm");
  Device dev = optionalDeviceArg(info[6], "findConvAlgorithm");
  int64_t limit = workspaceLimitArg(info[7], "findConvAlgorithm");
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

// chooseConvAlgorithm(desc..., algo, device?, workspaceLimit?, precision?)
Napi::Value chooseConvAlgorithm(const Napi::CallbackInfo& info) {
  ConvDesc d = descArg(info, "chooseConvAlgorithm", 9);
  if (!optionalDeviceArg(info[7], "chooseConvAlgorithm").isCuda()) requireFp32OnCpu(d.precision, "chooseConvAlgorithm");
  std::string algo = stringArg(info[6], "chooseConvAlgorithm", "algo");
  Device dev = optionalDeviceArg(info[7], "chooseConvAlgorithm");
  int64_t limit = workspaceLimitArg(info[8], "chooseConvAlgorithm");
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

// convPrepare(weight, bias|null, inputShape, stride, padding, dilation, groups, relu, algo, workspaceLimit?,
// precision?) → handle
// (a weight on CUDA gives a CUDA plan: the CUDA registry, prepared weights on that device)
Napi::Value convPrepare(const Napi::CallbackInfo& info) {
  const Tensor& w = tensorArg(info[0], "convPrepare", "weight");
  Tensor b = optionalTensorArg(info[1], "convPrepare", "bias");
  Shape in = shapeArg(info[2], "convPrepare", "inputShape");
  ConvOptions o = optionsArg(info, 3, "convPrepare");
  bool relu = boolArg(info[7], "convPrepare", "relu");
  std::string algo = stringArg(info[8], "convPrepare", "algo");
  int64_t limit = workspaceLimitArg(info[9], "convPrepare");
  o.precision = precisionArg(info[10], "convPrepare");
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

// linear(input, weight, bias|null, relu?, precision?). While compile() traces in a reduced precision on CUDA,
// a constant weight is packed for the tensor cores once, here, and the step runs on the packed copy.
Napi::Value linear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Tensor& x = tensorArg(info[0], "linear", "input");
  const Tensor& w = tensorArg(info[1], "linear", "weight");
  Tensor b = optionalTensorArg(info[2], "linear", "bias");
  bool relu = info[3].IsUndefined() ? false : boolArg(info[3], "linear", "relu");
  Precision prec = precisionArg(info[4], "linear");
  if (prec == Precision::Fp32 && x.device().isCuda()) prec = tracePrecision(env);
  if (tracing(env) && prec != Precision::Fp32 && w.device().isCuda() && w.dim() == 2 && !isTraced(env, w) &&
      !isTraced(env, b)) {
    const Tensor packed = ops::linearPack(w, prec);
    const Shape ws = w.shape();
    return emitFusable(
        info, "linear", {x, packed, b},
        [ws, prec](bool r) -> StepFn {
          return [ws, prec, r](const std::vector<Tensor>& in) { return ops::linearPacked(in[0], in[1], ws, in[2], r, prec); };
        },
        relu);
  }
  return emitFusable(
      info, "linear", {x, w, b},
      [prec](bool r) -> StepFn {
        return [prec, r](const std::vector<Tensor>& in) { return ops::linear(in[0], in[1], in[2], r, prec); };
      },
      relu);
}

// matmul(a, b, precision?)
Napi::Value matmul(const Napi::CallbackInfo& info) {
  Precision prec = precisionArg(info[2], "matmul");
  return emit(info, "matmul", {tensorArg(info[0], "matmul", "a"), tensorArg(info[1], "matmul", "b")},
              [prec](const std::vector<Tensor>& in) { return ops::matmul(in[0], in[1], prec); });
}

Napi::Value peakFlops(const Napi::CallbackInfo& info) {
  int64_t t = intArg(info[0], "peakFlops", "threads");
  CN_CHECK(t >= 1 && t <= 1024, "peakFlops: threads must be from 1 to 1024, got ", t);
  return Napi::Number::New(info.Env(), probes::peakFlops(int(t)));
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
  exports.Set("convCacheStats", Napi::Function::New(env, convCacheStats));
  exports.Set("setConvCacheLimit", Napi::Function::New(env, setConvCacheLimit));
  exports.Set("clearConvCache", Napi::Function::New(env, clearConvCache));
}

}  // namespace convnets::napi
