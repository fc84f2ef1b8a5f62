// Bindings for CUDA device queries. Every entry works on a machine without a GPU or driver.
#include "core/cuda_api.h"
#include "core/cuda_reason.h"
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

// cudaExplainForTest({driverLibraryFound, error, errorText, driverVersion, runtimeVersion, deviceCount,
// visibleDevices}): test hook: the unavailability wording for a probe outcome this machine cannot produce.
Napi::Value explainForTest(const Napi::CallbackInfo& info) {
  CN_CHECK(info[0].IsObject(), "cudaExplainForTest: expected an object");
  auto o = info[0].As<Napi::Object>();
  cudart::ProbeResult r;
  r.driverLibraryFound = boolArg(o.Get("driverLibraryFound"), "cudaExplainForTest", "driverLibraryFound");
  std::string e = o.Get("error").IsString() ? o.Get("error").As<Napi::String>().Utf8Value() : "none";
  r.error = e == "insufficientDriver" ? cudart::ProbeResult::kInsufficientDriver
            : e == "noDevice"         ? cudart::ProbeResult::kNoDevice
            : e == "other"            ? cudart::ProbeResult::kOther
                                      : cudart::ProbeResult::kNone;
  if (o.Get("errorText").IsString()) r.errorText = o.Get("errorText").As<Napi::String>().Utf8Value();
  if (o.Get("driverVersion").IsNumber()) r.driverVersion = o.Get("driverVersion").As<Napi::Number>().Int32Value();
  if (o.Get("runtimeVersion").IsNumber()) r.runtimeVersion = o.Get("runtimeVersion").As<Napi::Number>().Int32Value();
  if (o.Get("deviceCount").IsNumber()) r.deviceCount = o.Get("deviceCount").As<Napi::Number>().Int32Value();
  if (o.Get("visibleDevices").IsString()) {
    r.visibleDevicesSet = true;
    r.visibleDevices = o.Get("visibleDevices").As<Napi::String>().Utf8Value();
  }
  return Napi::String::New(info.Env(), cudart::explainUnavailable(r));
}

}  // namespace

void initCuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaAvailability", Napi::Function::New(env, availability));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, deviceCount));
  exports.Set("cudaDeviceInfo", Napi::Function::New(env, deviceInfo));
  exports.Set("cudaSynchronize", Napi::Function::New(env, synchronize));
  exports.Set("cudaInjectFault", Napi::Function::New(env, injectFault));
  exports.Set("cudaExplainForTest", Napi::Function::New(env, explainForTest));
}

}  // namespace convnets::napi
