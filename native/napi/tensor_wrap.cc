// Tensor handles, creation, memory counters, threads and ISA selection.
#include <cmath>
#include <cstring>
#include <limits>

#include "core/allocator.h"
#include "core/cpu_features.h"
#include "core/cuda_api.h"
#include "core/random.h"
#include "core/threadpool.h"
#include "napi/common.h"
#include "napi/trace.h"

namespace convnets::napi {

// ---- TensorWrap -------------------------------------------------------------------------------------

Napi::Function TensorWrap::define(Napi::Env env) {
  return DefineClass(env, "NativeTensor",
                     {InstanceAccessor<&TensorWrap::shape>("shape"),
                      InstanceAccessor<&TensorWrap::device>("device"),
                      InstanceAccessor<&TensorWrap::disposed>("disposed"),
                      InstanceMethod<&TensorWrap::data>("data"),
                      InstanceMethod<&TensorWrap::dispose>("dispose"),
                      InstanceMethod<&TensorWrap::reshape>("reshape"),
                      InstanceMethod<&TensorWrap::to>("to")});
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {}

TensorWrap::~TensorWrap() = default;  // the finalizer: storage is released with tensor_

void TensorWrap::set(Napi::Env env, Tensor t) {
  tensor_ = std::move(t);
  syncExternalMemory(env);
}

void syncExternalMemory(Napi::Env env) {
  auto* data = env.GetInstanceData<AddonData>();
  const int64_t held = heldBytes();
  if (held != data->reportedBytes) {
    Napi::MemoryManagement::AdjustExternalMemory(env, held - data->reportedBytes);
    data->reportedBytes = held;
  }
}

Napi::Value TensorWrap::shape(const Napi::CallbackInfo& info) { return shapeValue(info.Env(), tensor_.shape()); }

Napi::Array shapeValue(Napi::Env env, const Shape& shape) {
  auto arr = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) arr.Set(uint32_t(i), double(shape[i]));
  return arr;
}

Napi::Value TensorWrap::device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tensor_.device().str());
}

Napi::Value TensorWrap::disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor_.defined());
}

// CPU: a zero-copy Float32Array over the storage; the ArrayBuffer holds a reference to the storage, so
// the view stays valid even after dispose(). JavaScript may write through it at any time, so the storage
// counts it as a live writable view until the ArrayBuffer is collected (Storage::viewOpened): caches of
// derived data (prepared conv weights) do not trust the storage meanwhile. CUDA: a copy to the host.
Napi::Value TensorWrap::data(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CN_CHECK(tensor_.defined(), "data: the tensor was disposed");
  noteValuesRead(env, tensor_);
  size_t n = size_t(tensor_.numel());
  if (tensor_.device().isCpu()) {
    auto* keep = new std::shared_ptr<Storage>(tensor_.storage());
    (*keep)->viewOpened();
    auto buffer = Napi::ArrayBuffer::New(
        env, tensor_.data(), n * sizeof(float),
        [](Napi::Env, void*, std::shared_ptr<Storage>* k) {
          (*k)->viewClosed();
          delete k;
        },
        keep);
    return Napi::Float32Array::New(env, n, buffer, 0);
  }
  auto out = Napi::Float32Array::New(env, n);
  if (n) cudart::copyDeviceToHost(out.Data(), tensor_.data(), n * sizeof(float), tensor_.device().index);
  return out;
}

Napi::Value TensorWrap::dispose(const Napi::CallbackInfo& info) {
  tensor_.release();
  syncExternalMemory(info.Env());
  return info.Env().Undefined();
}

Napi::Value TensorWrap::reshape(const Napi::CallbackInfo& info) {
  CN_CHECK(tensor_.defined(), "reshape: the tensor was disposed");
  Shape shape = shapeArg(info[0], "reshape", "shape");
  return emit(info, StepKind::Reshape, {tensor_}, [shape](const std::vector<Tensor>& in) { return in[0].reshape(shape); });
}

Napi::Value TensorWrap::to(const Napi::CallbackInfo& info) {
  CN_CHECK(tensor_.defined(), "to: the tensor was disposed");
  Device device = deviceArg(info[0], "to");
  return emit(info, StepKind::To, {tensor_}, [device](const std::vector<Tensor>& in) { return in[0].to(device); });
}

// ---- argument readers --------------------------------------------------------------------------------

Napi::Object wrapTensor(Napi::Env env, Tensor t) {
  noteTensorResult(env);
  Napi::Object obj = env.GetInstanceData<AddonData>()->tensorCtor.New({});
  TensorWrap::Unwrap(obj)->set(env, std::move(t));
  return obj;
}

const Tensor& tensorArg(const Napi::Value& v, const char* op, const char* name) {
  Napi::Env env = v.Env();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(env.GetInstanceData<AddonData>()->tensorCtor.Value()))
    fail(op, ": ", name, " must be a Tensor");
  const Tensor& t = TensorWrap::Unwrap(v.As<Napi::Object>())->tensor();
  CN_CHECK(t.defined(), op, ": ", name, " was disposed");
  noteTensorArg(env, t, op);
  return t;
}

Tensor optionalTensorArg(const Napi::Value& v, const char* op, const char* name) {
  if (v.IsUndefined() || v.IsNull()) return Tensor();
  return tensorArg(v, op, name);
}

int64_t intArg(const Napi::Value& v, const char* op, const char* name) {
  CN_CHECK(v.IsNumber(), op, ": ", name, " must be an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  CN_CHECK(std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.007199254740992e15, op, ": ", name,
           " must be an integer, got ", d);
  return int64_t(d);
}

std::vector<int64_t> intsArg(const Napi::Value& v, const char* op, const char* name) {
  CN_CHECK(v.IsArray(), op, ": ", name, " must be an array of integers");
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out[i] = intArg(arr.Get(i), op, name);
  return out;
}

Shape shapeArg(const Napi::Value& v, const char* op, const char* name) {
  Shape s = intsArg(v, op, name);
  CN_CHECK(s.size() <= 8, op, ": ", name, " has ", s.size(), " dimensions (at most 8 are supported)");
  for (int64_t d : s) CN_CHECK(d >= 0, op, ": ", name, " ", shapeStr(s), " has a negative dimension");
  numelOf(s);
  return s;
}

double numberArg(const Napi::Value& v, const char* op, const char* name) {
  CN_CHECK(v.IsNumber(), op, ": ", name, " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool boolArg(const Napi::Value& v, const char* op, const char* name) {
  CN_CHECK(v.IsBoolean(), op, ": ", name, " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string stringArg(const Napi::Value& v, const char* op, const char* name) {
  CN_CHECK(v.IsString(), op, ": ", name, " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Device deviceArg(const Napi::Value& v, const char* op) {
  if (v.IsUndefined()) return Device{};
  Device d;
  try {
    d = Device::parse(stringArg(v, op, "device"));
  } catch (const Error& e) {
    fail(op, ": ", e.what());  // "Tensor.zeros: device: expected 'cpu', …": the op first, as everywhere
  }
  if (d.isCuda()) {
    auto a = cudart::availability();
    CN_CHECK(a.available, op, ": CUDA is not available: ", a.reason);
    int count = cudart::deviceCount();
    CN_CHECK(d.index < count, op, ": device ", d.str(), " does not exist (", count, " CUDA device",
             count == 1 ? "" : "s", ")");
  }
  return d;
}

// ---- module functions ----------------------------------------------------------------------------------

namespace {

// fromArray(Float32Array, shape, device?): copies the data.
Napi::Value fromArray(const Napi::CallbackInfo& info) {
  CN_CHECK(info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array,
           "Tensor.from: data must be a Float32Array");
  auto src = info[0].As<Napi::Float32Array>();
  Shape shape = shapeArg(info[1], "Tensor.from", "shape");
  int64_t n = numelOf(shape);
  CN_CHECK(int64_t(src.ElementLength()) == n, "Tensor.from: shape ", shapeStr(shape), " needs ", n,
           " values but data has ", src.ElementLength());
  Device dev = deviceArg(info[2], "Tensor.from");
  Tensor cpu = Tensor::empty(shape, Device{});
  if (n) std::memcpy(cpu.data(), src.Data(), size_t(n) * sizeof(float));
  return wrapTensor(info.Env(), dev.isCpu() ? cpu : cpu.to(dev));
}

Napi::Value empty(const Napi::CallbackInfo& info) {
  return wrapTensor(info.Env(), Tensor::empty(shapeArg(info[0], "Tensor.empty", "shape"), deviceArg(info[1], "Tensor.empty")));
}

Napi::Value zeros(const Napi::CallbackInfo& info) {
  return wrapTensor(info.Env(), Tensor::zeros(shapeArg(info[0], "Tensor.zeros", "shape"), deviceArg(info[1], "Tensor.zeros")));
}

uint64_t seedArg(const Napi::Value& v, const char* op) {
  int64_t s = intArg(v, op, "seed");
  CN_CHECK(s >= 0, op, ": seed must be a non-negative integer, got ", s);
  return uint64_t(s);
}

// rand(shape, {seed, low, high, device?}) / randn(shape, {seed, mean, std, device?})
Napi::Value rand(const Napi::CallbackInfo& info) {
  Tensor t = Tensor::empty(shapeArg(info[0], "Tensor.rand", "shape"));
  Options o = optionsArg(info[1], "Tensor.rand", {"seed", "low", "high", "device"});
  fillUniform(t, seedArg(o.get("seed"), "Tensor.rand"), float(o.number("low")), float(o.number("high")));
  Device dev = deviceArg(o.get("device"), "Tensor.rand");
  return wrapTensor(info.Env(), dev.isCpu() ? t : t.to(dev));
}

Napi::Value randn(const Napi::CallbackInfo& info) {
  Tensor t = Tensor::empty(shapeArg(info[0], "Tensor.randn", "shape"));
  Options o = optionsArg(info[1], "Tensor.randn", {"seed", "mean", "std", "device"});
  fillNormal(t, seedArg(o.get("seed"), "Tensor.randn"), float(o.number("mean")), float(o.number("std")));
  Device dev = deviceArg(o.get("device"), "Tensor.randn");
  return wrapTensor(info.Env(), dev.isCpu() ? t : t.to(dev));
}

Napi::Object statsObject(Napi::Env env, const MemoryStats& s) {
  auto o = Napi::Object::New(env);
  o.Set("tensors", double(s.liveBuffers));
  o.Set("bytes", double(s.liveBytes));
  o.Set("cachedBytes", double(s.cachedBytes));
  o.Set("preparedBytes", double(s.preparedBytes));
  o.Set("systemAllocations", double(s.systemAllocations));
  return o;
}

// memory(): { cpu: {tensors, bytes, cachedBytes, preparedBytes, systemAllocations}, cuda: [ per device ] }
Napi::Value memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  // preparedBytes counts every prepared copy alive (core/allocator.h CpuBuffer::prepared): plans' and eager
  // conv's cache (dispatch/prepared_cache.h) alike.
  o.Set("cpu", statsObject(env, memoryStats(Device{})));
  int count = cudart::availability().available ? cudart::deviceCount() : 0;
  auto cuda = Napi::Array::New(env, count);
  for (int i = 0; i < count; ++i) cuda.Set(uint32_t(i), statsObject(env, memoryStats({DeviceType::CUDA, i})));
  o.Set("cuda", cuda);
  return o;
}

Napi::Value emptyCacheFn(const Napi::CallbackInfo& info) {
  emptyCache();
  syncExternalMemory(info.Env());
  return info.Env().Undefined();
}

Napi::Value setNumThreadsFn(const Napi::CallbackInfo& info) {
  int64_t n = intArg(info[0], "setNumThreads", "n");
  CN_CHECK(n >= 1 && n <= 1024, "setNumThreads: expected an integer from 1 to 1024, got ", n);
  setNumThreads(int(n));
  return info.Env().Undefined();
}

Napi::Value getNumThreadsFn(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), getNumThreads()); }

// cpuInfo(): { detected, active, available: [...] }
Napi::Value cpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("detected", isaName(detectedIsa()));
  o.Set("active", isaName(activeIsa()));
  auto isas = availableIsas();
  auto arr = Napi::Array::New(env, isas.size());
  for (size_t i = 0; i < isas.size(); ++i) arr.Set(uint32_t(i), isaName(isas[i]));
  o.Set("available", arr);
  return o;
}

Napi::Value setIsaFn(const Napi::CallbackInfo& info) {
  setIsa(parseIsa(stringArg(info[0], "setIsa", "isa")));
  return info.Env().Undefined();
}

}  // namespace

void initTensor(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = TensorWrap::define(env);
  env.GetInstanceData<AddonData>()->tensorCtor = Napi::Persistent(ctor);
  exports.Set("NativeTensor", ctor);
  exports.Set("fromArray", Napi::Function::New(env, fromArray));
  exports.Set("empty", Napi::Function::New(env, empty));
  exports.Set("zeros", Napi::Function::New(env, zeros));
  exports.Set("rand", Napi::Function::New(env, rand));
  exports.Set("randn", Napi::Function::New(env, randn));
  exports.Set("memory", Napi::Function::New(env, memory));
  exports.Set("emptyCache", Napi::Function::New(env, emptyCacheFn));
  exports.Set("setNumThreads", Napi::Function::New(env, setNumThreadsFn));
  exports.Set("getNumThreads", Napi::Function::New(env, getNumThreadsFn));
  exports.Set("cpuInfo", Napi::Function::New(env, cpuInfo));
  exports.Set("setIsa", Napi::Function::New(env, setIsaFn));
}

}  // namespace convnets::napi
