// Bindings for the non-convolution ops: read arguments, call core/ops.h, wrap the result.
#include "core/ops.h"
#include "napi/common.h"

namespace convnets::napi {
namespace {

Napi::Value relu(const Napi::CallbackInfo& info) {
  return wrapTensor(info.Env(), ops::relu(tensorArg(info[0], "relu", "input")));
}

// add(a, b, relu?)
Napi::Value add(const Napi::CallbackInfo& info) {
  bool fuseRelu = info[2].IsUndefined() ? false : boolArg(info[2], "add", "relu");
  return wrapTensor(info.Env(), ops::add(tensorArg(info[0], "add", "a"), tensorArg(info[1], "add", "b"), fuseRelu));
}

}  // namespace

void initOps(Napi::Env env, Napi::Object exports) {
  exports.Set("relu", Napi::Function::New(env, relu));
  exports.Set("add", Napi::Function::New(env, add));
}

}  // namespace convnets::napi
