// Bindings for the non-convolution ops: read arguments into C++ values, then emit() a closure that calls
// dispatch/ops.h (run now, and recorded as a plan step while compile() traces).
#include <string>

#include "dispatch/ops.h"
#include "napi/common.h"
#include "napi/trace.h"

namespace convnets::napi {
namespace {

using Ins = std::vector<Tensor>;

Napi::Value relu(const Napi::CallbackInfo& info) {
  return emit(info, StepKind::Relu, {tensorArg(info[0], "relu", "input")}, [](const Ins& in) { return ops::relu(in[0]); });
}

// add(a, b, relu?)
Napi::Value add(const Napi::CallbackInfo& info) {
  bool fuseRelu = info[2].IsUndefined() ? false : boolArg(info[2], "add", "relu");
  return emitFusable(info, StepKind::Add, {tensorArg(info[0], "add", "a"), tensorArg(info[1], "add", "b")},
                     [](bool relu) -> StepFn { return [relu](const Ins& in) { return ops::add(in[0], in[1], relu); }; },
                     fuseRelu);
}

// The window options of maxPool2d, avgPool2d and poolOutputShape ([h, w] pairs; lib/functional normalises
// number | [h, w] before calling).
#define POOL_KEYS "kernelSize", "stride", "padding", "ceilMode"

// maxPool2d(x, {kernelSize, stride, padding, dilation, ceilMode})
Napi::Value maxPool2d(const Napi::CallbackInfo& info) {
  const char* op = "maxPool2d";
  const Tensor& x = tensorArg(info[0], op, "input");
  Options o = optionsArg(info[1], op, {POOL_KEYS, "dilation"});
  ops::Pair k = o.pair("kernelSize"), s = o.pair("stride"), p = o.pair("padding"), d = o.pair("dilation");
  bool ceil = o.boolean("ceilMode");
  EmitExtras extras;
  extras.pool = std::make_shared<const PoolWindow>(PoolWindow{k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], ceil});
  return emit(
      info, StepKind::MaxPool2d, {x}, [=](const Ins& in) { return ops::maxPool2d(in[0], k, s, p, d, ceil); }, std::move(extras));
}

// avgPool2d(x, {kernelSize, stride, padding, ceilMode, countIncludePad})
Napi::Value avgPool2d(const Napi::CallbackInfo& info) {
  const char* op = "avgPool2d";
  const Tensor& x = tensorArg(info[0], op, "input");
  Options o = optionsArg(info[1], op, {POOL_KEYS, "countIncludePad"});
  ops::Pair k = o.pair("kernelSize"), s = o.pair("stride"), p = o.pair("padding");
  bool ceil = o.boolean("ceilMode"), includePad = o.boolean("countIncludePad");
  EmitExtras extras;
  extras.pool = std::make_shared<const PoolWindow>(PoolWindow{k[0], k[1], s[0], s[1], p[0], p[1], 1, 1, ceil, includePad});
  return emit(
      info, StepKind::AvgPool2d, {x}, [=](const Ins& in) { return ops::avgPool2d(in[0], k, s, p, ceil, includePad); }, std::move(extras));
}

// poolOutputShape('maxPool2d' | 'avgPool2d', inputShape, {kernelSize, stride, padding, dilation, ceilMode}):
// the output shape after the pool's own checks (summary() and nn shape inference).
Napi::Value poolOutputShape(const Napi::CallbackInfo& info) {
  std::string op = stringArg(info[0], "poolOutputShape", "op");
  CN_CHECK(op == "maxPool2d" || op == "avgPool2d", "poolOutputShape: unknown op '", op, "'");
  Shape x = shapeArg(info[1], op.c_str(), "input");
  Options o = optionsArg(info[2], op.c_str(), {POOL_KEYS, "dilation"});
  Shape out = ops::poolOutputShape(op.c_str(), x, o.pair("kernelSize"), o.pair("stride"), o.pair("padding"),
                                   o.pair("dilation"), o.boolean("ceilMode"));
  return shapeValue(info.Env(), out);
}

// adaptiveAvgPool2d(x, [oh, ow])
Napi::Value adaptiveAvgPool2d(const Napi::CallbackInfo& info) {
  const char* op = "adaptiveAvgPool2d";
  const Tensor& x = tensorArg(info[0], op, "input");
  ops::Pair size = pairArg(info[1], op, "outputSize");
  EmitExtras extras;
  PoolWindow window;
  window.outH = size[0];
  window.outW = size[1];
  extras.pool = std::make_shared<const PoolWindow>(window);
  return emit(
      info, StepKind::AdaptiveAvgPool2d, {x}, [=](const Ins& in) { return ops::adaptiveAvgPool2d(in[0], size); }, std::move(extras));
}

// localResponseNorm(x, {size, alpha, beta, k})
Napi::Value localResponseNorm(const Napi::CallbackInfo& info) {
  const char* op = "localResponseNorm";
  const Tensor& x = tensorArg(info[0], op, "input");
  Options o = optionsArg(info[1], op, {"size", "alpha", "beta", "k"});
  int64_t size = o.integer("size");
  double alpha = o.number("alpha"), beta = o.number("beta"), k = o.number("k");
  return emit(info, StepKind::LocalResponseNorm, {x}, [=](const Ins& in) { return ops::localResponseNorm(in[0], size, alpha, beta, k); });
}

// batchNorm(x, runningMean, runningVar, weight|null, bias|null, {eps, relu})
Napi::Value batchNorm(const Napi::CallbackInfo& info) {
  const char* op = "batchNorm";
  Ins operands = {tensorArg(info[0], op, "input"), tensorArg(info[1], op, "runningMean"),
                  tensorArg(info[2], op, "runningVar"), optionalTensorArg(info[3], op, "weight"),
                  optionalTensorArg(info[4], op, "bias")};
  Options o = optionsArg(info[5], op, {"eps", "relu"});
  double eps = o.number("eps");
  EmitExtras extras;
  extras.eps = eps;
  return emitFusable(
      info, StepKind::BatchNorm, std::move(operands),
      [eps](bool relu) -> StepFn {
        return [eps, relu](const Ins& in) { return ops::batchNorm(in[0], in[1], in[2], in[3], in[4], eps, relu); };
      },
      o.boolean("relu"), extras);
}

// dropout(x, p, seed): training mode (lib/functional copies when not training).
Napi::Value dropout(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info[0], "dropout", "input");
  double p = numberArg(info[1], "dropout", "p");
  int64_t seed = intArg(info[2], "dropout", "seed");
  CN_CHECK(seed >= 0, "dropout: seed must be a non-negative integer, got ", seed);
  return emit(info, StepKind::Dropout, {x}, [=](const Ins& in) { return ops::dropout(in[0], p, uint64_t(seed)); });
}

// interpolate(x, {size: [oh, ow], mode, alignCorners, antialias, scaleFactor: [h, w]}): a scale 0 = from the sizes.
Napi::Value interpolate(const Napi::CallbackInfo& info) {
  const char* op = "interpolate";
  const Tensor& x = tensorArg(info[0], op, "input");
  Options o = optionsArg(info[1], op, {"size", "mode", "alignCorners", "antialias", "scaleFactor"});
  ops::Pair size = o.pair("size");
  std::string mode = o.string("mode");
  bool alignCorners = o.boolean("alignCorners"), antialias = o.boolean("antialias");
  Napi::Value sf = o.get("scaleFactor");
  CN_CHECK(sf.IsArray() && sf.As<Napi::Array>().Length() == 2, op, ": scaleFactor must have 2 numbers [h, w]");
  std::array<double, 2> scale{numberArg(sf.As<Napi::Array>().Get(0u), op, "scaleFactor"),
                              numberArg(sf.As<Napi::Array>().Get(1u), op, "scaleFactor")};
  return emit(info, StepKind::Interpolate, {x}, [=](const Ins& in) {
    return ops::interpolate(in[0], size, mode, alignCorners, antialias, scale);
  });
}

// crop2d(x, {top, left, height, width})
Napi::Value crop2d(const Napi::CallbackInfo& info) {
  const char* op = "crop2d";
  const Tensor& x = tensorArg(info[0], op, "input");
  Options o = optionsArg(info[1], op, {"top", "left", "height", "width"});
  int64_t top = o.integer("top"), left = o.integer("left"), h = o.integer("height"), w = o.integer("width");
  return emit(info, StepKind::Crop2d, {x}, [=](const Ins& in) { return ops::crop2d(in[0], top, left, h, w); });
}

Napi::Value softmax(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info[0], "softmax", "input");
  int64_t dim = intArg(info[1], "softmax", "dim");
  return emit(info, StepKind::Softmax, {x}, [dim](const Ins& in) { return ops::softmax(in[0], dim); });
}

Napi::Value logSoftmax(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info[0], "logSoftmax", "input");
  int64_t dim = intArg(info[1], "logSoftmax", "dim");
  return emit(info, StepKind::LogSoftmax, {x}, [dim](const Ins& in) { return ops::logSoftmax(in[0], dim); });
}

// argmax(x, dim, keepdim)
Napi::Value argmax(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info[0], "argmax", "input");
  int64_t dim = intArg(info[1], "argmax", "dim");
  bool keepdim = boolArg(info[2], "argmax", "keepdim");
  return emit(info, StepKind::Argmax, {x}, [=](const Ins& in) { return ops::argmax(in[0], dim, keepdim); });
}

// topk(x, {k, dim, largest, sorted}) → {values, indices}. Two outputs: not a plan step (compile() reports a
// traced input read by it).
Napi::Value topk(const Napi::CallbackInfo& info) {
  const char* op = "topk";
  const Tensor& x = tensorArg(info[0], op, "input");
  Options opts = optionsArg(info[1], op, {"k", "dim", "largest", "sorted"});
  int64_t k = opts.integer("k"), dim = opts.integer("dim");
  bool largest = opts.boolean("largest"), sorted = opts.boolean("sorted");
  auto [values, indices] = ops::topk(x, k, dim, largest, sorted);
  auto o = Napi::Object::New(info.Env());
  o.Set("values", wrapTensor(info.Env(), values));
  o.Set("indices", wrapTensor(info.Env(), indices));
  return o;
}

// cat(tensors[], dim)
Napi::Value cat(const Napi::CallbackInfo& info) {
  CN_CHECK(info[0].IsArray(), "cat: tensors must be an array of Tensors");
  auto arr = info[0].As<Napi::Array>();
  Ins xs;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    std::string name = "tensors[" + std::to_string(i) + "]";
    xs.push_back(tensorArg(arr.Get(i), "cat", name.c_str()));
  }
  int64_t dim = intArg(info[1], "cat", "dim");
  EmitExtras extras;
  extras.concatDim = dim < 0 && !xs.empty() ? dim + xs[0].dim() : dim;
  return emit(info, StepKind::Cat, std::move(xs), [dim](const Ins& in) { return ops::cat(in, dim); }, std::move(extras));
}

// ---- signal: plain Float64Arrays in and out -------------------------------------------------------------

Napi::Float64Array f64Arg(const Napi::Value& v, const char* op, const char* name) {
  CN_CHECK(v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array, op, ": ", name,
           " must be a Float64Array");
  return v.As<Napi::Float64Array>();
}

Napi::Float64Array toF64(Napi::Env env, const std::vector<double>& v) {
  auto out = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

// signalConvolve(a, v, mode, correlate) -> Float64Array
Napi::Value signalConvolve(const Napi::CallbackInfo& info) {
  bool correlate = boolArg(info[3], "signal.convolve", "correlate");
  const char* op = correlate ? "signal.correlate" : "signal.convolve";
  auto a = f64Arg(info[0], op, "a"), v = f64Arg(info[1], op, "v");
  auto out = ops::convolve1d(a.Data(), int64_t(a.ElementLength()), v.Data(), int64_t(v.ElementLength()),
                             ops::parseSignalMode(stringArg(info[2], op, "mode"), op), correlate);
  return toF64(info.Env(), out);
}

// An operand {data: Float64Array, shape: [rows, cols]} (lib/signal.ts's Array2D).
ops::Array2dView view2d(const Napi::Value& v, const char* op, const char* name) {
  CN_CHECK(v.IsObject(), op, ": ", name, " must be { data: Float64Array, shape: [rows, cols] }");
  auto d = f64Arg(v.As<Napi::Object>().Get("data"), op, name);
  std::vector<int64_t> s = intsArg(v.As<Napi::Object>().Get("shape"), op, name);
  CN_CHECK(s.size() == 2 && s[0] >= 0 && s[1] >= 0 && double(s[0]) * double(s[1]) == double(d.ElementLength()), op, ": ", name,
           " has ", d.ElementLength(), " values, which does not fit the shape ", shapeStr(s));
  return {d.Data(), s[0], s[1]};
}

// signalConvolve2d(in1, in2, {mode, correlate}), each operand { data: Float64Array, shape: [rows, cols] }
// -> { data, shape }
Napi::Value signalConvolve2d(const Napi::CallbackInfo& info) {
  Options opts = optionsArg(info[2], "signal.convolve2d", {"mode", "correlate"});
  bool correlate = opts.boolean("correlate");
  const char* op = correlate ? "signal.correlate2d" : "signal.convolve2d";
  ops::Array2d out = ops::convolve2d(view2d(info[0], op, "in1"), view2d(info[1], op, "in2"),
                                     ops::parseSignalMode(stringArg(opts.get("mode"), op, "mode"), op), correlate);
  auto o = Napi::Object::New(info.Env());
  o.Set("data", toF64(info.Env(), out.data));
  auto shape = Napi::Array::New(info.Env(), 2);
  shape.Set(0u, double(out.rows));
  shape.Set(1u, double(out.cols));
  o.Set("shape", shape);
  return o;
}

}  // namespace

void initOps(Napi::Env env, Napi::Object exports) {
  exports.Set("relu", Napi::Function::New(env, relu));
  exports.Set("add", Napi::Function::New(env, add));
  exports.Set("maxPool2d", Napi::Function::New(env, maxPool2d));
  exports.Set("avgPool2d", Napi::Function::New(env, avgPool2d));
  exports.Set("adaptiveAvgPool2d", Napi::Function::New(env, adaptiveAvgPool2d));
  exports.Set("localResponseNorm", Napi::Function::New(env, localResponseNorm));
  exports.Set("batchNorm", Napi::Function::New(env, batchNorm));
  exports.Set("dropout", Napi::Function::New(env, dropout));
  exports.Set("interpolate", Napi::Function::New(env, interpolate));
  exports.Set("crop2d", Napi::Function::New(env, crop2d));
  exports.Set("softmax", Napi::Function::New(env, softmax));
  exports.Set("argmax", Napi::Function::New(env, argmax));
  exports.Set("poolOutputShape", Napi::Function::New(env, poolOutputShape));
  exports.Set("topk", Napi::Function::New(env, topk));
  exports.Set("logSoftmax", Napi::Function::New(env, logSoftmax));
  exports.Set("cat", Napi::Function::New(env, cat));
  exports.Set("signalConvolve", Napi::Function::New(env, signalConvolve));
  exports.Set("signalConvolve2d", Napi::Function::New(env, signalConvolve2d));
}

}  // namespace convnets::napi
