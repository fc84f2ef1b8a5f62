#include "core/dtype_convert.h"

#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/threadpool.h"

namespace convnets {

bool parseStoredType(const std::string& name, StoredType* out) {
  static const struct { const char* name; StoredType type; } kTypes[] = {
      {"F64", StoredType::F64}, {"F32", StoredType::F32}, {"F16", StoredType::F16}, {"BF16", StoredType::BF16},
      {"I64", StoredType::I64}, {"I32", StoredType::I32}, {"I16", StoredType::I16}, {"I8", StoredType::I8},
      {"U8", StoredType::U8},   {"BOOL", StoredType::BOOL}};
  for (const auto& t : kTypes) {
    if (name == t.name) {
      *out = t.type;
      return true;
    }
  }
  return false;
}

int storedTypeBytes(StoredType t) {
  switch (t) {
    case StoredType::F64: case StoredType::I64: return 8;
    case StoredType::F32: case StoredType::I32: return 4;
    case StoredType::F16: case StoredType::BF16: case StoredType::I16: return 2;
    default: return 1;
  }
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 → 127
  } else if (mant == 0) {
    bits = sign;  // ±0
  } else {
    // subnormal half: normalise the mantissa into a float32 normal
    int shift = 0;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      ++shift;
    }
    bits = sign | (uint32_t(113 - shift) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {

// Reads one element of type T from possibly unaligned memory.
template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void castRange(const uint8_t* src, int64_t begin, int64_t end, float* dst) {
  for (int64_t i = begin; i < end; ++i) dst[i] = float(load<T>(src + i * int64_t(sizeof(T))));
}

}  // namespace

void convertToFloat32(const uint8_t* src, StoredType type, int64_t n, float* dst) {
  parallelFor(n, 1 << 16, [&](int64_t b, int64_t e) {
    switch (type) {
      case StoredType::F32: std::memcpy(dst + b, src + b * 4, size_t(e - b) * 4); break;
      case StoredType::F64: castRange<double>(src, b, e, dst); break;
      case StoredType::I64: castRange<int64_t>(src, b, e, dst); break;
      case StoredType::I32: castRange<int32_t>(src, b, e, dst); break;
      case StoredType::I16: castRange<int16_t>(src, b, e, dst); break;
      case StoredType::I8: castRange<int8_t>(src, b, e, dst); break;
      case StoredType::U8: castRange<uint8_t>(src, b, e, dst); break;
      case StoredType::BOOL:
        for (int64_t i = b; i < e; ++i) dst[i] = src[i] ? 1.0f : 0.0f;
        break;
      case StoredType::F16:
        for (int64_t i = b; i < e; ++i) dst[i] = halfToFloat(load<uint16_t>(src + 2 * i));
        break;
      case StoredType::BF16:  // bfloat16 is the top half of a float32
        for (int64_t i = b; i < e; ++i) {
          uint32_t bits = uint32_t(load<uint16_t>(src + 2 * i)) << 16;
          std::memcpy(dst + i, &bits, 4);
        }
        break;
    }
  });
}

void gatherToFloat32(const uint8_t* src, StoredType type, int64_t offset, const int64_t* shape, const int64_t* strides,
                     int rank, float* dst) {
  const int64_t esize = storedTypeBytes(type);
  int64_t numel = 1;
  for (int d = 0; d < rank; ++d) numel *= shape[d];
  if (numel == 0) return;
  if (rank == 0) return convertToFloat32(src + offset * esize, type, 1, dst);
  // Odometer over every dimension but the last; the last is one run (contiguous or strided).
  const int64_t inner = shape[rank - 1], innerStride = strides[rank - 1];
  std::vector<int64_t> idx(size_t(rank), 0);
  for (int64_t done = 0; done < numel; done += inner) {
    int64_t base = offset;
    for (int d = 0; d + 1 < rank; ++d) base += idx[size_t(d)] * strides[d];
    if (innerStride == 1 || inner == 1) {
      convertToFloat32(src + base * esize, type, inner, dst + done);
    } else {
      for (int64_t i = 0; i < inner; ++i) convertToFloat32(src + (base + i * innerStride) * esize, type, 1, dst + done + i);
    }
    for (int d = rank - 2; d >= 0; --d) {
      if (++idx[size_t(d)] < shape[d]) break;
      idx[size_t(d)] = 0;
    }
  }
}

Tensor storedBytesToTensor(const uint8_t* bytes, size_t len, const std::string& dtype, const Shape& shape,
                           const char* op) {
  StoredType type;
  CN_CHECK(parseStoredType(dtype, &type), op, ": unsupported dtype '", dtype, "'");
  CN_CHECK(shape.size() <= 8, op, ": shape has ", shape.size(), " dimensions (at most 8 are supported)");
  const int64_t n = numelOf(shape);  // throws on a negative dimension or an element count near int64's range
  const int width = storedTypeBytes(type);
  // n ≤ INT64_MAX / 4 (numelOf), and width ≤ 8: compare without forming n * width when it could overflow.
  CN_CHECK(n <= int64_t(len) / width && int64_t(len) == n * width, op, ": ", n, " elements of ", dtype, " need ",
           n > INT64_MAX / 8 ? std::string("more than 2^60") : std::to_string(n * width), " bytes but got ", len);
  Tensor t = Tensor::empty(shape, Device{});
  if (n) convertToFloat32(bytes, type, n, t.data());
  return t;
}

}  // namespace convnets
