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

// [h, w] from a 2-element array (lib/functional normalises number | [h, w] before calling).
ops::Pair pairArg(const Napi::Value& v, const char* op, const char* name) {
  std::vector<int64_t> p = intsArg(v, op, name);
  CN_CHECK(p.size() == 2, op, ": ", name, " must have 2 elements [h, w], got ", p.size());
  return {p[0], p[1]};
}

// maxPool2d(x, kernel, stride, padding, dilation, ceilMode)
Napi::Value maxPool2d(const Napi::CallbackInfo& info) {
  const char* op = "maxPool2d";
  const Tensor& x = tensorArg(info[0], op, "input");
  ops::Pair k = pairArg(info[1], op, "kernelSize"), s = pairArg(info[2], op, "stride"),
            p = pairArg(info[3], op, "padding"), d = pairArg(info[4], op, "dilation");
  bool ceil = boolArg(info[5], op, "ceilMode");
  return emit(info, StepKind::MaxPool2d, {x}, [=](const Ins& in) { return ops::maxPool2d(in[0], k, s, p, d, ceil); });
}

// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad)
Napi::Value avgPool2d(const Napi::CallbackInfo& info) {
  const char* op = "avgPool2d";
  const Tensor& x = tensorArg(info[0], op, "input");
  ops::Pair k = pairArg(info[1], op, "kernelSize"), s = pairArg(info[2], op, "stride"),
            p = pairArg(info[3], op, "padding");
  bool ceil = boolArg(info[4], op, "ceilMode"), includePad = boolArg(info[5], op, "countIncludePad");
  EmitExtras extras;
  extras.avgPool = std::make_shared<const AvgPoolWindow>(AvgPoolWindow{k[0], k[1], s[0], s[1], p[0], p[1], ceil, includePad});
  return emit(
      info, StepKind::AvgPool2d, {x}, [=](const Ins& in) { return ops::avgPool2d(in[0], k, s, p, ceil, includePad); }, std::move(extras));
}

// poolOutputShape('maxPool2d' | 'avgPool2d', inputShape, kernel, stride, padding, dilation, ceilMode): the
// output shape after the pool's own checks (summary() and nn shape inference).
Napi::Value poolOutputShape(const Napi::CallbackInfo& info) {
  std::string op = stringArg(info[0], "poolOutputShape", "op");
  CN_CHECK(op == "maxPool2d" || op == "avgPool2d", "poolOutputShape: unknown op '", op, "'");
  Shape x = shapeArg(info[1], op.c_str(), "input");
  Shape out = ops::poolOutputShape(op.c_str(), x, pairArg(info[2], op.c_str(), "kernelSize"), pairArg(info[3], op.c_str(), "stride"),
                                   pairArg(info[4], op.c_str(), "padding"), pairArg(info[5], op.c_str(), "dilation"),
                                   boolArg(info[6], op.c_str(), "ceilMode"));
  return shapeValue(info.Env(), out);
}

// adaptiveAvgPool2d(x, [oh, ow])
Napi::Value adaptiveAvgPool2d(const Napi::CallbackInfo& info) {
  const char* op = "adaptiveAvgPool2d";
  const Tensor& x = tensorArg(info[0], op, "input");
  ops::Pair size = pairArg(info[1], op, "outputSize");
  return emit(info, StepKind::AdaptiveAvgPool2d, {x}, [=](const Ins& in) { return ops::adaptiveAvgPool2d(in[0], size); });
}

// localResponseNorm(x, size, alpha, beta, k)
Napi::Value localResponseNorm(const Napi::CallbackInfo& info) {
  const char* op = "localResponseNorm";
  const Tensor& x = tensorArg(info[0], op, "input");
  int64_t size = intArg(info[1], op, "size");
  double alpha = numberArg(info[2], op, "alpha"), beta = numberArg(info[3], op, "beta"), k = numberArg(info[4], op, "k");
  return emit(info, StepKind::LocalResponseNorm, {x}, [=](const Ins& in) { return ops::localResponseNorm(in[0], size, alpha, beta, k); });
}

// batchNorm(x, runningMean, runningVar, weight|null, bias|null, eps, relu)
Napi::Value batchNorm(const Napi::CallbackInfo& info) {
  const char* op = "batchNorm";
  Ins operands = {tensorArg(info[0], op, "input"), tensorArg(info[1], op, "runningMean"),
                  tensorArg(info[2], op, "runningVar"), optionalTensorArg(info[3], op, "weight"),
                  optionalTensorArg(info[4], op, "bias")};
  double eps = numberArg(info[5], op, "eps");
  EmitExtras extras;
  extras.eps = eps;
  return emitFusable(
      info, StepKind::BatchNorm, std::move(operands),
      [eps](bool relu) -> StepFn {
        return [eps, relu](const Ins& in) { return ops::batchNorm(in[0], in[1], in[2], in[3], in[4], eps, relu); };
      },
      boolArg(info[6], op, "relu"), extras);
}

// dropout(x, p, seed): training mode (lib/functional copies when not training).
Napi::Value dropout(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info[0], "dropout", "input");
  double p = numberArg(info[1], "dropout", "p");
  int64_t seed = intArg(info[2], "dropout", "seed");
  CN_CHECK(seed >= 0, "dropout: seed must be a non-negative integer, got ", seed);
  return emit(info, StepKind::Dropout, {x}, [=](const Ins& in) { return ops::dropout(in[0], p, uint64_t(seed)); });
}

// interpolate(x, [oh, ow], mode, alignCorners, antialias, scaleH, scaleW): scale 0 = from the sizes.
Napi::Value interpolate(const Napi::CallbackInfo& info) {
  const char* op = "interpolate";
  const Tensor& x = tensorArg(info[0], op, "input");
  ops::Pair size = pairArg(info[1], op, "size");
  std::string mode = stringArg(info[2], op, "mode");
  bool alignCorners = boolArg(info[3], op, "alignCorners"), antialias = boolArg(info[4], op, "antialias");
  std::array<double, 2> scale{numberArg(info[5], op, "scaleFactor"), numberArg(info[6], op, "scaleFactor")};
  return emit(info, StepKind::Interpolate, {x}, [=](const Ins& in) {
    return ops::interpolate(in[0], size, mode, alignCorners, antialias, scale);
  });
}

// crop2d(x, top, left, h, w)
Napi::Value crop2d(const Napi::CallbackInfo& info) {
  const char* op = "crop2d";
  const Tensor& x = tensorArg(info[0], op, "input");
  int64_t top = intArg(info[1], op, "top"), left = intArg(info[2], op, "left"), h = intArg(info[3], op, "height"),
          w = intArg(info[4], op, "width");
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

// topk(x, k, dim, largest, sorted) → {values, indices}. Two outputs: not a plan step (compile() reports a
// traced input read by it).
Napi::Value topk(const Napi::CallbackInfo& info) {
  const char* op = "topk";
  const Tensor& x = tensorArg(info[0], op, "input");
  int64_t k = intArg(info[1], op, "k"), dim = intArg(info[2], op, "dim");
  bool largest = boolArg(info[3], op, "largest"), sorted = boolArg(info[4], op, "sorted");
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

ops::Array2dView view2d(const Napi::Value& data, const Napi::Value& shape, const char* op, const char* name) {
  auto d = f64Arg(data, op, name);
  std::vector<int64_t> s = intsArg(shape, op, name);
  CN_CHECK(s.size() == 2 && s[0] >= 0 && s[1] >= 0 && double(s[0]) * double(s[1]) == double(d.ElementLength()), op, ": ", name,
           " has ", d.ElementLength(), " values, which does not fit the shape ", shapeStr(s));
  return {d.Data(), s[0], s[1]};
}

// signalConvolve2d(in1, shape1, in2, shape2, mode, correlate) -> { data: Float64Array, shape: [rows, cols] }
Napi::Value signalConvolve2d(const Napi::CallbackInfo& info) {
  bool correlate = boolArg(info[5], "signal.convolve2d", "correlate");
  const char* op = correlate ? "signal.correlate2d" : "signal.convolve2d";
  ops::Array2d out = ops::convolve2d(view2d(info[0], info[1], op, "in1"), view2d(info[2], info[3], op, "in2"),
                                     ops::parseSignalMode(stringArg(info[4], op, "mode"), op), correlate);
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
