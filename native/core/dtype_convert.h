// Widening stored element types (safetensors dtypes) to float32, for loading checkpoints.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace convnets {

enum class StoredType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

// Parses a safetensors dtype name; returns false for names this loader does not read.
bool parseStoredType(const std::string& name, StoredType* out);
int storedTypeBytes(StoredType t);

// Converts n elements at `src` (little-endian, any alignment) to float32 at `dst`.
void convertToFloat32(const uint8_t* src, StoredType type, int64_t n, float* dst);

// The strided view (offset, shape, strides in elements, all checked non-negative and inside the storage by
// the caller) of a storage of `type` elements at `src`, converted to a contiguous float32 `dst`.
void gatherToFloat32(const uint8_t* src, StoredType type, int64_t offset, const int64_t* shape, const int64_t* strides,
                     int rank, float* dst);

// The checked step behind io.loadSafetensors (napi/io.cc): `len` stored bytes of `dtype` (a safetensors name) as
// a float32 CPU tensor of `shape`. Throws an Error naming `op` — never reads outside [bytes, bytes + len) — when
// the dtype is unknown, a dimension is negative, the element count overflows, or the byte count does not match.
// The fuzz harness (test/reliability/fuzz/stored_bytes_fuzz.cc) runs this very function under ASan and UBSan.
Tensor storedBytesToTensor(const uint8_t* bytes, size_t len, const std::string& dtype, const Shape& shape,
                           const char* op = "tensorFromBytes");

// IEEE half → float, exactly (subnormals, infinities and NaN included).
float halfToFloat(uint16_t h);

}  // namespace convnets
