// Binding for checkpoint loading: stored bytes of any safetensors dtype → a float32 CPU tensor.
#include "core/dtype_convert.h"
#include "napi/common.h"

namespace convnets::napi {

namespace {

// tensorFromBytes(bytes: Uint8Array, dtype: string, shape: number[]) → NativeTensor (float32, CPU)
Napi::Value tensorFromBytes(const Napi::CallbackInfo& info) {
  const char* op = "tensorFromBytes";
  CN_CHECK(info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array,
           op, ": bytes must be a Uint8Array");
  auto bytes = info[0].As<Napi::Uint8Array>();
  std::string dtype = stringArg(info[1], op, "dtype");
  Shape shape = shapeArg(info[2], op, "shape");
  return wrapTensor(info.Env(), storedBytesToTensor(bytes.Data(), bytes.ByteLength(), dtype, shape, op));
}

// imageToTensor(pixels: Uint8Array, height, width, channels) → [1, channels, height, width] in [0, 1].
// Decoded images are interleaved (H × W × C); the networks want planar NCHW.
Napi::Value imageToTensor(const Napi::CallbackInfo& info) {
  const char* op = "imageToTensor";
  CN_CHECK(info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array,
           op, ": pixels must be a Uint8Array");
  auto px = info[0].As<Napi::Uint8Array>();
  int64_t h = intArg(info[1], op, "height"), w = intArg(info[2], op, "width"), c = intArg(info[3], op, "channels");
  CN_CHECK(h > 0 && w > 0 && c > 0 && c <= 4, op, ": expected positive height and width and 1-4 channels, got ", h,
           "x", w, "x", c);
  CN_CHECK(int64_t(px.ByteLength()) == h * w * c, op, ": a ", h, "x", w, "x", c, " image needs ", h * w * c,
           " bytes but got ", px.ByteLength());
  Tensor t = Tensor::empty({1, c, h, w}, Device{});
  const uint8_t* src = px.Data();
  float* dst = t.data();
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < h * w; ++i) dst[ch * h * w + i] = float(src[i * c + ch]) * (1.0f / 255.0f);
  return wrapTensor(info.Env(), t);
}

}  // namespace

void initIo(Napi::Env env, Napi::Object exports) {
  exports.Set("tensorFromBytes", Napi::Function::New(env, tensorFromBytes));
  exports.Set("imageToTensor", Napi::Function::New(env, imageToTensor));
}

}  // namespace convnets::napi
