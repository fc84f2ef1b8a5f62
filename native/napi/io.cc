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
  StoredType type;
  CN_CHECK(parseStoredType(dtype, &type), op, ": unsupported dtype '", dtype, "'");
  Shape shape = shapeArg(info[2], op, "shape");
  int64_t n = numelOf(shape);
  CN_CHECK(int64_t(bytes.ByteLength()) == n * storedTypeBytes(type), op, ": ", n, " elements of ", dtype, " need ",
           n * storedTypeBytes(type), " bytes but got ", bytes.ByteLength());
  Tensor t = Tensor::empty(shape, Device{});
  if (n) convertToFloat32(bytes.Data(), type, n, t.data());
  return wrapTensor(info.Env(), t);
}

}  // namespace

void initIo(Napi::Env env, Napi::Object exports) {
  exports.Set("tensorFromBytes", Napi::Function::New(env, tensorFromBytes));
}

}  // namespace convnets::napi
