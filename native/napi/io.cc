// Binding for checkpoint and image I/O: stored bytes of any safetensors dtype (or a strided view of a .pth
// storage) → a float32 CPU tensor; interleaved pixels ↔ planar tensors.
#include <algorithm>

#include "core/dtype_convert.h"
#include "dispatch/ops.h"
#include "napi/common.h"

namespace convnets::napi {

namespace {

// Arguments 0 and 1 of the checkpoint readers: the stored bytes and their dtype name.
struct StoredBytes {
  Napi::Uint8Array bytes;
  std::string dtype;
  StoredType type;
};
StoredBytes storedBytesArgs(const Napi::CallbackInfo& info, const char* op) {
  CN_CHECK(info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array,
           op, ": bytes must be a Uint8Array");
  StoredBytes b{info[0].As<Napi::Uint8Array>(), stringArg(info[1], op, "dtype"), StoredType::F32};
  CN_CHECK(parseStoredType(b.dtype, &b.type), op, ": unsupported dtype '", b.dtype, "'");
  return b;
}

// tensorFromBytes(bytes: Uint8Array, dtype: string, shape: number[]) → NativeTensor (float32, CPU)
Napi::Value tensorFromBytes(const Napi::CallbackInfo& info) {
  const char* op = "tensorFromBytes";
  auto [bytes, dtype, type] = storedBytesArgs(info, op);
  Shape shape = shapeArg(info[2], op, "shape");
  return wrapTensor(info.Env(), storedBytesToTensor(bytes.Data(), bytes.ByteLength(), dtype, shape, op));
}

// tensorFromStorage(bytes: Uint8Array, dtype, {storageNumel, offset, shape, strides}) → float32 CPU tensor of the
// strided view (torch's storage_offset / size / stride, in elements) of a storage (.pth files). Every index
// the view can reach is checked to lie inside the storage before any byte is read.
Napi::Value tensorFromStorage(const Napi::CallbackInfo& info) {
  const char* op = "tensorFromStorage";
  auto [bytes, dtype, type] = storedBytesArgs(info, op);
  Options o = optionsArg(info[2], op, {"storageNumel", "offset", "shape", "strides"});
  const int64_t storageNumel = o.integer("storageNumel"), offset = o.integer("offset");
  Shape shape = o.shape("shape");
  std::vector<int64_t> strides = o.integers("strides");
  const int64_t esize = storedTypeBytes(type);
  CN_CHECK(storageNumel >= 0 && int64_t(bytes.ByteLength()) / esize >= storageNumel, op, ": storage of ",
           storageNumel, " ", dtype, " elements needs ", storageNumel * esize, " bytes but has ", bytes.ByteLength());
  CN_CHECK(strides.size() == shape.size(), op, ": ", shape.size(), " sizes but ", strides.size(), " strides");
  CN_CHECK(offset >= 0, op, ": negative storage offset ", offset);
  int64_t numel = 1, last = offset;  // the largest element index the view reads
  for (size_t d = 0; d < shape.size(); ++d) {
    CN_CHECK(shape[d] >= 0 && strides[d] >= 0, op, ": negative size or stride in dimension ", d);
    numel *= shape[d];
    CN_CHECK(shape[d] == 0 || strides[d] <= (int64_t(1) << 48) / shape[d], op, ": stride too large in dimension ", d);
    last += shape[d] > 0 ? (shape[d] - 1) * strides[d] : 0;
  }
  CN_CHECK(numel == 0 || last < storageNumel, op, ": the view (offset ", offset, ", shape ", shapeStr(shape),
           ") reads element ", last, " of a storage of ", storageNumel);
  Tensor t = Tensor::empty(shape, Device{});
  if (numel) gatherToFloat32(bytes.Data(), type, offset, shape.data(), strides.data(), int(shape.size()), t.data());
  return wrapTensor(info.Env(), t);
}

// imageToTensor(pixels: Uint8Array | Uint16Array, height, width, channels) → [1, channels, height, width] in
// [0, 1] (8-bit values / 255, 16-bit values / 65535). Decoded images are interleaved (H × W × C); the networks
// want planar NCHW.
template <class T>
void deinterleave(const T* src, float* dst, int64_t hw, int64_t c, float scale) {
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < hw; ++i) dst[ch * hw + i] = float(src[i * c + ch]) * scale;
}

Napi::Value imageToTensor(const Napi::CallbackInfo& info) {
  const char* op = "imageToTensor";
  const bool typed = info[0].IsTypedArray();
  const napi_typedarray_type kind = typed ? info[0].As<Napi::TypedArray>().TypedArrayType() : napi_int8_array;
  CN_CHECK(kind == napi_uint8_array || kind == napi_uint16_array, op, ": pixels must be a Uint8Array or a Uint16Array");
  int64_t h = intArg(info[1], op, "height"), w = intArg(info[2], op, "width"), c = intArg(info[3], op, "channels");
  CN_CHECK(h > 0 && w > 0 && c > 0 && c <= 4, op, ": expected positive height and width and 1-4 channels, got ", h,
           "x", w, "x", c);
  const size_t count = info[0].As<Napi::TypedArray>().ElementLength();
  CN_CHECK(int64_t(count) == h * w * c, op, ": a ", h, "x", w, "x", c, " image needs ", h * w * c,
           " values but got ", count);
  Tensor t = Tensor::empty({1, c, h, w}, Device{});
  if (kind == napi_uint8_array)
    deinterleave(info[0].As<Napi::Uint8Array>().Data(), t.data(), h * w, c, 1.0f / 255.0f);
  else
    deinterleave(info[0].As<Napi::Uint16Array>().Data(), t.data(), h * w, c, 1.0f / 65535.0f);
  return wrapTensor(info.Env(), t);
}

// resizeImagePil(pixels: Uint8Array H × W × C, {height, width, channels, outHeight, outWidth, bicubic})
// → Uint8Array OH × OW × C: PIL's
// Image.resize (BILINEAR / BICUBIC) bit for bit (cpu/resize_pil.h).
Napi::Value resizeImagePil(const Napi::CallbackInfo& info) {
  const char* op = "resizeImagePil";
  CN_CHECK(info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array, op,
           ": pixels must be a Uint8Array");
  auto px = info[0].As<Napi::Uint8Array>();
  Options o = optionsArg(info[1], op, {"height", "width", "channels", "outHeight", "outWidth", "bicubic"});
  const int64_t h = o.integer("height"), w = o.integer("width"), c = o.integer("channels");
  const int64_t oh = o.integer("outHeight"), ow = o.integer("outWidth");
  const bool bicubic = o.boolean("bicubic");
  std::vector<uint8_t> out = ops::resizeImagePil(px.Data(), int64_t(px.ByteLength()), h, w, c, oh, ow, bicubic);
  auto a = Napi::Uint8Array::New(info.Env(), out.size());
  std::copy(out.begin(), out.end(), a.Data());
  return a;
}

// tensorToImage(x [C, H, W] float on the CPU, mean[C], std[C]) → Uint8Array H × W × C interleaved:
// round(clamp((v · std + mean) · 255, 0, 255)) — the inverse of imageToTensor and a normalisation.
Napi::Value tensorToImage(const Napi::CallbackInfo& info) {
  const char* op = "tensorToImage";
  const Tensor& x = tensorArg(info[0], op, "image");
  CN_CHECK(x.device().isCpu(), op, ": image must be on the CPU, got ", x.device().str());
  CN_CHECK(x.dim() == 3 && x.size(0) >= 1 && x.size(0) <= 4, op, ": expected [C, H, W] with 1-4 channels, got ",
           shapeStr(x.shape()));
  const int64_t c = x.size(0), hw = x.size(1) * x.size(2);
  auto numbers = [&](const Napi::Value& v, const char* name) {
    CN_CHECK(v.IsArray() && v.As<Napi::Array>().Length() == uint32_t(c), op, ": ", name, " must have ", c, " numbers");
    std::vector<float> out;
    for (uint32_t i = 0; i < uint32_t(c); ++i) out.push_back(float(numberArg(v.As<Napi::Array>().Get(i), op, name)));
    return out;
  };
  const std::vector<float> mean = numbers(info[1], "mean"), std = numbers(info[2], "std");
  auto out = Napi::Uint8Array::New(info.Env(), size_t(hw * c));
  const float* src = x.data();
  uint8_t* dst = out.Data();
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < hw; ++i) {
      float v = (src[ch * hw + i] * std[ch] + mean[ch]) * 255.0f;
      v = v != v ? 0.0f : (v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v));  // NaN → 0
      dst[i * c + ch] = uint8_t(v + 0.5f);
    }
  return out;
}

// tensorsToGrid(x [N, C, h, w] on the CPU, C 1 or 3, cols, pad) → Uint8Array of a grid image (rows × cols
// tiles of h × w separated by `pad` white pixels, C channels interleaved): each tile min-max scaled to
// 0-255 on its own, so filters and feature maps of any range are visible (a constant tile is mid-grey).
Napi::Value tensorsToGrid(const Napi::CallbackInfo& info) {
  const char* op = "tensorsToGrid";
  const Tensor& x = tensorArg(info[0], op, "tiles");
  CN_CHECK(x.device().isCpu(), op, ": tiles must be on the CPU, got ", x.device().str());
  CN_CHECK(x.dim() == 4 && (x.size(1) == 1 || x.size(1) == 3) && x.size(0) > 0, op,
           ": expected [N, 1 or 3, h, w] with N > 0, got ", shapeStr(x.shape()));
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t cols = intArg(info[1], op, "cols"), pad = intArg(info[2], op, "pad");
  CN_CHECK(cols > 0 && pad >= 0 && pad < 64, op, ": cols must be positive and pad in [0, 64), got ", cols, ", ", pad);
  const int64_t rows = (n + cols - 1) / cols, W = cols * w + (cols + 1) * pad, H = rows * h + (rows + 1) * pad;
  CN_CHECK(W * H * c <= (int64_t(1) << 30), op, ": the grid would be ", W, "x", H, " pixels");
  auto out = Napi::Uint8Array::New(info.Env(), size_t(W * H * c));
  std::fill(out.Data(), out.Data() + W * H * c, uint8_t(255));
  const int64_t tile = c * h * w;
  for (int64_t t = 0; t < n; ++t) {
    const float* src = x.data() + t * tile;
    float lo = src[0], hi = src[0];
    for (int64_t i = 1; i < tile; ++i) lo = std::min(lo, src[i]), hi = std::max(hi, src[i]);
    const float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
    const int64_t oy = pad + (t / cols) * (h + pad), ox = pad + (t % cols) * (w + pad);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t xx = 0; xx < w; ++xx) {
          const float v = scale > 0.0f ? (src[(ch * h + y) * w + xx] - lo) * scale : 127.5f;
          out.Data()[((oy + y) * W + ox + xx) * c + ch] = uint8_t(v != v ? 0.0f : std::min(255.0f, v + 0.5f));
        }
  }
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("pixels", out);
  r.Set("width", Napi::Number::New(info.Env(), double(W)));
  r.Set("height", Napi::Number::New(info.Env(), double(H)));
  r.Set("channels", Napi::Number::New(info.Env(), double(c)));
  return r;
}

}  // namespace

void initIo(Napi::Env env, Napi::Object exports) {
  exports.Set("tensorFromBytes", Napi::Function::New(env, tensorFromBytes));
  exports.Set("tensorFromStorage", Napi::Function::New(env, tensorFromStorage));
  exports.Set("imageToTensor", Napi::Function::New(env, imageToTensor));
  exports.Set("tensorToImage", Napi::Function::New(env, tensorToImage));
  exports.Set("resizeImagePil", Napi::Function::New(env, resizeImagePil));
  exports.Set("tensorsToGrid", Napi::Function::New(env, tensorsToGrid));
}

}  // namespace convnets::napi
