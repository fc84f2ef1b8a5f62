// The B-lane vectors of the channel-blocked (NCHWc) kernels: one vector holds the B channels of one pixel.
// GCC vector extensions, so each kernel body is written once and compiled per ISA (isa_variants.h): a
// 16-lane vector is one zmm on AVX-512, two ymm on AVX2, four xmm on the generic path. Every helper is
// CN_ALWAYS_INLINE so that it is compiled inside the per-ISA function that calls it.
#pragma once
#include <cstdint>

#include "core/cpu_features.h"
#include "cpu/isa_variants.h"

// Vectors pass by value only between always-inlined functions, so no call ever uses the vector ABI GCC
// warns about for the generic (non-AVX) copies.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace convnets::cpu::blocked {

typedef float F4 __attribute__((vector_size(16)));
typedef float F8 __attribute__((vector_size(32)));
typedef float F16 __attribute__((vector_size(64)));
typedef int32_t I4 __attribute__((vector_size(16)));
typedef int32_t I8 __attribute__((vector_size(32)));
typedef int32_t I16 __attribute__((vector_size(64)));

// Lanes<B>::F: B floats; Lanes<B>::I: B int32 (comparison results, shuffle indices).
template <int B>
struct Lanes;
template <>
struct Lanes<8> {
  using F = F8;
  using I = I8;
};
template <>
struct Lanes<16> {
  using F = F16;
  using I = I16;
};

// Unaligned loads and stores (memcpy compiles to one vector move; no alignment is assumed of callers).
template <class V>
CN_ALWAYS_INLINE V load(const float* p) {
  V v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
CN_ALWAYS_INLINE void store(float* p, V v) {
  __builtin_memcpy(p, &v, sizeof v);
}
template <class V>
CN_ALWAYS_INLINE V splat(float f) {
  return V{} + f;
}

// Compares and selects run on CV, a vector no wider than the ISA's registers: F8 on AVX2 and AVX-512, F4 on
// the generic (SSE2) path, also in 16-lane blocks (B / lanes of CV per pixel). GCC lowers vector operations
// in the target-less bodies of isa_variants.h before they are inlined into their per-ISA copy, and a compare /
// select wider than the baseline's registers lowered there stays scalar code (the blocked max pool ran
// 8.3 ms instead of 0.25 ms with 16 lanes on AVX-512, 12 ms instead of 0.4 ms with 8 lanes on the generic
// path; splitting and rejoining around each compare still cost 3x through the stack). 8 lanes survive in the
// AVX2 / AVX-512 copies as ymm compares and blends. Loads, stores, arithmetic and bitwise operations have no
// such problem and stay B wide (zmm on AVX-512). Two-source shuffles do: the reorders narrow theirs per ISA
// (blocked_layout.cc); cat's B-lane shuffle stays, 3x slower off AVX-512 with B = 16 (not the default there).
// Kernels with compares are CN_ISA_VARIANTS_T bodies over CV, through this macro.
#define CN_BLOCKED_COMPARE_VARIANTS(NAME, PARAMS, ARGS) CN_ISA_VARIANTS_T(NAME, PARAMS, ARGS, F4, F8, F8)

template <class V>
constexpr int lanesOf() {
  return int(sizeof(V) / sizeof(float));
}

// max(v, m), but NaN wins and stays: the lane rule of the NCHW max pool (pool.cc takeMax), so both layouts
// give the same bits.
template <class V>
CN_ALWAYS_INLINE V takeMax(V v, V m) {
  return ((v > m) | (v != v)) ? v : m;
}

// max(v, 0) as the NCHW relu writes it (v > 0 ? v : 0: NaN and -0 give +0).
template <class V>
CN_ALWAYS_INLINE V reluOf(V v) {
  return v > V{} ? v : V{};
}

// Calls NAME##Generic / Avx2 / Avx512 (CN_ISA_VARIANTS) for the active ISA.
#define CN_BLOCKED_ISA_CALL(NAME, ...)                                   \
  do {                                                                  \
    const Isa isa_ = activeIsa();                                       \
    if (isa_ == Isa::Avx512) NAME##Avx512(__VA_ARGS__);                 \
    else if (isa_ == Isa::Avx2) NAME##Avx2(__VA_ARGS__);                \
    else NAME##Generic(__VA_ARGS__);                                    \
  } while (0)

}  // namespace convnets::cpu::blocked
