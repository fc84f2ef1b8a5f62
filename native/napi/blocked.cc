// The test hook of the channel-blocked ops (dispatch/ops_blocked.h): one function, blockedOp(op, tensors,
// options), so tests and bench/ reach every blocked op without a public API (compiled plans are their
// only other caller). Reads arguments by name and calls dispatch; no maths here.
#include <string>
#include <vector>

#include "dispatch/ops_blocked.h"
#include "napi/common.h"

namespace convnets::napi {
namespace {

namespace B = ops::blocked;

// A JS array of numbers as floats (affine's scale and shift).
std::vector<float> floatsOption(const Options& o, const char* key) {
  const Napi::Value v = o.get(key);
  CN_CHECK(v.IsArray(), o.op(), ": ", key, " must be an array of numbers");
  auto arr = v.As<Napi::Array>();
  std::vector<float> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out[i] = float(numberArg(arr.Get(i), o.op(), key));
  return out;
}

// tensors[i] of the op, with the count it needs (cat: one or more).
std::vector<Tensor> tensorsArg(const Napi::Value& v, const char* op, size_t count) {
  CN_CHECK(v.IsArray(), op, ": tensors must be an array of Tensors");
  auto arr = v.As<Napi::Array>();
  CN_CHECK(count == 0 ? arr.Length() >= 1 : arr.Length() == count, op, ": expected ",
           count == 0 ? "at least 1" : std::to_string(count), " tensor(s), got ", arr.Length());
  std::vector<Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const std::string name = "tensors[" + std::to_string(i) + "]";
    out.push_back(tensorArg(arr.Get(i), op, name.c_str()));
  }
  return out;
}

Tensor run(const std::string& name, const Napi::Value& tensors, const Napi::Value& options) {
  const char* op = name.c_str();
  if (name == "toBlocked") {
    Options o = optionsArg(options, op, {"block"});
    return B::toBlocked(tensorsArg(tensors, op, 1)[0], int(o.integer("block")));
  }
  if (name == "fromBlocked") {
    Options o = optionsArg(options, op, {"channels"});
    return B::fromBlocked(tensorsArg(tensors, op, 1)[0], o.integer("channels"));
  }
  if (name == "maxPool2d") {
    Options o = optionsArg(options, op, {"kernelSize", "stride", "padding", "dilation", "ceilMode"});
    return B::maxPool2d(tensorsArg(tensors, op, 1)[0], o.pair("kernelSize"), o.pair("stride"), o.pair("padding"),
                        o.pair("dilation"), o.boolean("ceilMode"));
  }
  if (name == "avgPool2d") {
    Options o = optionsArg(options, op, {"kernelSize", "stride", "padding", "ceilMode", "countIncludePad"});
    return B::avgPool2d(tensorsArg(tensors, op, 1)[0], o.pair("kernelSize"), o.pair("stride"), o.pair("padding"),
                        o.boolean("ceilMode"), o.boolean("countIncludePad"));
  }
  if (name == "adaptiveAvgPool2d") {
    Options o = optionsArg(options, op, {"outputSize"});
    return B::adaptiveAvgPool2d(tensorsArg(tensors, op, 1)[0], o.pair("outputSize"));
  }
  if (name == "add") {
    Options o = optionsArg(options, op, {"relu"});
    const std::vector<Tensor> ab = tensorsArg(tensors, op, 2);
    return B::add(ab[0], ab[1], o.boolean("relu", false));
  }
  if (name == "relu") {
    optionsArg(options, op, {});
    return B::relu(tensorsArg(tensors, op, 1)[0]);
  }
  if (name == "affine") {
    Options o = optionsArg(options, op, {"scale", "shift", "relu"});
    return B::affine(tensorsArg(tensors, op, 1)[0], floatsOption(o, "scale"), floatsOption(o, "shift"),
                     o.boolean("relu", false));
  }
  if (name == "cat") {
    Options o = optionsArg(options, op, {"channels"});
    return B::cat(tensorsArg(tensors, op, 0), o.integers("channels"));
  }
  if (name == "affineAvgPool") {
    Options o = optionsArg(options, op, {"channels", "scale", "shift", "relu", "window"});
    const bool mapped = o.has("scale");
    return B::affineAvgPool(tensorsArg(tensors, op, 0), o.integers("channels"),
                            mapped ? floatsOption(o, "scale") : std::vector<float>(),
                            mapped ? floatsOption(o, "shift") : std::vector<float>(), o.boolean("relu", false),
                            o.pair("window"));
  }
  fail("blockedOp: unknown op '", name, "' (expected toBlocked, fromBlocked, maxPool2d, avgPool2d, ",
       "adaptiveAvgPool2d, add, relu, affine or cat)");
}

// blockedOp(op, tensors, options) → Tensor
Napi::Value blockedOp(const Napi::CallbackInfo& info) {
  const std::string op = stringArg(info[0], "blockedOp", "op");
  return wrapTensor(info.Env(), run(op, info[1], info[2]));
}

}  // namespace

void initBlocked(Napi::Env env, Napi::Object exports) {
  exports.Set("blockedOp", Napi::Function::New(env, blockedOp));
}

}  // namespace convnets::napi
