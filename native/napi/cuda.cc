// Bindings for CUDA device queries. Every entry works on a machine without a GPU or driver.
#include "core/cuda_api.h"
#include "napi/common.h"

namespace convnets::napi {
namespace {

// cudaAvailability(): { available, reason, compiled }
Napi::Value availability(const Napi::CallbackInfo& info) {
  auto a = cudart::availability();
  auto o = Napi::Object::New(info.Env());
  o.Set("available", a.available);
  o.Set("reason", a.reason);
  o.Set("compiled", cudart::compiledWithCuda());
  return o;
}

Napi::Value deviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), cudart::availability().available ? cudart::deviceCount() : 0);
}

Napi::Value deviceInfo(const Napi::CallbackInfo& info) {
  int64_t i = intArg(info[0], "cuda.deviceInfo", "index");
  auto a = cudart::availability();
  CN_CHECK(a.available, "cuda.deviceInfo: CUDA is not available: ", a.reason);
  int count = cudart::deviceCount();
  CN_CHECK(i >= 0 && i < count, "cuda.deviceInfo: index ", i, " is out of range (", count, " devices)");
  auto d = cudart::deviceInfo(int(i));
  auto o = Napi::Object::New(info.Env());
  o.Set("name", d.name);
  o.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
  o.Set("totalMemory", double(d.totalMemory));
  o.Set("multiProcessors", d.multiProcessors);
  return o;
}

Napi::Value synchronize(const Napi::CallbackInfo& info) {
  Device d = deviceArg(info[0].IsUndefined() ? Napi::String::New(info.Env(), "cuda") : info[0], "cuda.synchronize");
  CN_CHECK(d.isCuda(), "cuda.synchronize: expected a CUDA device, got ", d.str());
  cudart::synchronize(d.index);
  return info.Env().Undefined();
}

// cudaInjectFault(device): test hook (see cudart::injectFaultForTest); only for child processes.
Napi::Value injectFault(const Napi::CallbackInfo& info) {
  Device d = deviceArg(info[0], "cudaInjectFault");
  CN_CHECK(d.isCuda(), "cudaInjectFault: expected a CUDA device, got ", d.str());
  cudart::injectFaultForTest(d.index);
  return info.Env().Undefined();
}

}  // namespace

void initCuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaAvailability", Napi::Function::New(env, availability));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, deviceCount));
  exports.Set("cudaDeviceInfo", Napi::Function::New(env, deviceInfo));
  exports.Set("cudaSynchronize", Napi::Function::New(env, synchronize));
  exports.Set("cudaInjectFault", Napi::Function::New(env, injectFault));
}

}  // namespace convnets::napi
