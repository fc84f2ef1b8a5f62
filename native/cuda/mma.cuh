// Tensor-core instruction pieces (CUTLASS's "instruction shape" level), one struct per precision:
//   Store       the element kept in shared memory and in packed operands (32-bit for TF32, 16-bit otherwise)
//   kK          the k of one mma.sync: m16n8k8 for TF32, m16n8k16 for BF16 and FP16
//   round(f)    fp32 -> Store, round to nearest (TF32: cvt.rna, ties away; BF16/FP16: ties to even)
//   mma(d, a, b) d[4] += A(16×kK) · B(kK×8) with fp32 accumulation; a: 4 words, b: 2 words per lane
//
// Fragment layouts (PTX ISA, "Matrix fragments for mma.m16n8k8 / m16n8k16"), lane = 4·gid + tig:
//   A (row-major 16×kK): a[0] = A[gid][w], a[1] = A[gid+8][w], a[2] = A[gid][w+4], a[3] = A[gid+8][w+4]
//   B (col-major kK×8):  b[0] = B[w][gid], b[1] = B[w+4][gid]
//   C (16×8 fp32):       c[0] = C[gid][2tig], c[1] = C[gid][2tig+1], c[2] = C[gid+8][2tig], c[3] = C[gid+8][2tig+1]
// where w is the 32-bit word at k = tig (TF32) or the pair k = 2tig, 2tig+1 (16-bit types, low half first).
// So in words of a k-contiguous row, every operand sits at word tig and tig+4 of its kK-wide slice: the
// main loop (tc_mainloop.cuh) loads both operands the same way for every precision.
//
// Under CONVNETS_CUDA_EMU (scripts/cuda-emu) round() is the same rounding in software and mma() gathers
// the warp's fragments through the emulator's per-warp exchange and multiplies them as the layouts above
// say, so the kernels' index logic is checked bit for bit on a machine without a GPU.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/precision.h"

#ifndef CONVNETS_CUDA_EMU
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#endif

namespace convnets::cuda::tc {
using convnets::Precision;

// ---- host-side rounding (prepared weights are packed on the device, but tests and the emulator need the
// same numbers on the host) ------------------------------------------------------------------------------
inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
// TF32 (10 mantissa bits), ties away from zero as cvt.rna.tf32.f32; kept in an fp32 word, low 13 bits 0.
inline uint32_t hostTf32(float f) {
  uint32_t u = floatBits(f);
  if ((u & 0x7f800000u) == 0x7f800000u) return u;  // inf / nan unchanged
  return (u + 0x1000u) & 0xffffe000u;
}
inline uint16_t hostBf16(float f) {
  uint32_t u = floatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet nan
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
inline float hostBf16ToFloat(uint16_t h) { return bitsFloat(uint32_t(h) << 16); }
// IEEE half, round to nearest even, overflow to inf, subnormals kept.
inline uint16_t hostFp16(float f) {
  const uint32_t u = floatBits(f);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return uint16_t(sign | 0x7e00u);
  if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds past 65504: inf
  if (a < 0x38800000u) {                                   // below 2^-14: subnormal half (or 0)
    if (a < 0x33000000u) return sign;                      // below 2^-25: rounds to 0
    const uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    const int shift = 126 - int(a >> 23);  // 14..24 → value = mant · 2^(e-150) in units of 2^-24
    const uint32_t q = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    const uint32_t r = q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
    return uint16_t(sign | r);
  }
  const uint32_t r = a + 0xfffu + ((a >> 13) & 1u);  // round the 13 dropped bits to even
  return uint16_t(sign | ((r - 0x38000000u) >> 13));
}
inline float hostFp16ToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) {
    const float v = float(m) * (1.0f / 16777216.0f);  // m · 2^-24
    return sign ? -v : v;
  }
  if (e == 31) return bitsFloat(sign | 0x7f800000u | (m << 13));
  return bitsFloat(sign | ((e + 112u) << 23) | (m << 13));
}

#ifdef CONVNETS_CUDA_EMU
// ---- emulation: the same rounding, and mma through the warp exchange --------------------------------------
inline uint32_t emuMmaA[32][32][4], emuMmaB[32][32][2];
template <class P>
inline void emuMma(float d[4], const uint32_t a[4], const uint32_t b[2]) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gid = lane >> 2, tig = lane & 3;
  for (int i = 0; i < 4; ++i) emuMmaA[warp][lane][i] = a[i];
  for (int i = 0; i < 2; ++i) emuMmaB[warp][lane][i] = b[i];
  warpBarriers[warp]->arrive_and_wait();
  // Rebuild the whole A (16×kK) and B (kK×8) from every lane's words, as the layouts in the header say.
  float A[16][16], B[16][8];
  for (int l = 0; l < 32; ++l) {
    const int g = l >> 2, t = l & 3;
    for (int half = 0; half < 2; ++half) {  // word w (k from tig) and w+4 (k + kK/2)
      for (int e = 0; e < P::kPerWord; ++e) {
        const int k = (t + 4 * half) * P::kPerWord + e;
        A[g][k] = P::emuValue(emuMmaA[warp][l][2 * half], e);
        A[g + 8][k] = P::emuValue(emuMmaA[warp][l][2 * half + 1], e);
        B[k][g] = P::emuValue(emuMmaB[warp][l][half], e);
      }
    }
  }
  const int rows[4] = {gid, gid, gid + 8, gid + 8}, cols[4] = {2 * tig, 2 * tig + 1, 2 * tig, 2 * tig + 1};
  for (int i = 0; i < 4; ++i) {
    float acc = d[i];
    for (int k = 0; k < P::kK; ++k) acc = std::fma(A[rows[i]][k], B[k][cols[i]], acc);
    d[i] = acc;
  }
  warpBarriers[warp]->arrive_and_wait();
}
#endif

struct Tf32 {
  using Store = uint32_t;
  static constexpr int kK = 8, kPerWord = 1;
  static constexpr const char* name = "tf32";
  static constexpr Precision kPrecision = Precision::Tf32;
  __device__ __forceinline__ static Store round(float f) {
#ifdef CONVNETS_CUDA_EMU
    return hostTf32(f);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    uint32_t r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(f));
    return r;
#else
    return __float_as_uint(f);
#endif
  }
  __device__ __forceinline__ static void mma(float d[4], const uint32_t a[4], const uint32_t b[2]) {
#ifdef CONVNETS_CUDA_EMU
    emuMma<Tf32>(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
    __trap();  // the registry declines tensor-core algorithms below sm_80
#endif
  }
#ifdef CONVNETS_CUDA_EMU
  static float emuValue(uint32_t w, int) { return bitsFloat(w); }
#endif
};

// BF16 and FP16: the same m16n8k16 shape and fragments; only the rounding and the instruction's type differ.
template <Precision PREC>
struct Half16 {
  static_assert(PREC == Precision::Bf16 || PREC == Precision::Fp16, "16-bit tensor-core types");
  static constexpr bool kBf16 = PREC == Precision::Bf16;
  using Store = uint16_t;
  static constexpr int kK = 16, kPerWord = 2;
  static constexpr const char* name = kBf16 ? "bf16" : "fp16";
  static constexpr Precision kPrecision = PREC;
  __device__ __forceinline__ static Store round(float f) {
#ifdef CONVNETS_CUDA_EMU
    return kBf16 ? hostBf16(f) : hostFp16(f);
#else
    if constexpr (kBf16) return __bfloat16_as_ushort(__float2bfloat16_rn(f));
    else return __half_as_ushort(__float2half_rn(f));
#endif
  }
  __device__ __forceinline__ static void mma(float d[4], const uint32_t a[4], const uint32_t b[2]) {
#ifdef CONVNETS_CUDA_EMU
    emuMma<Half16>(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    if constexpr (kBf16)
      asm volatile(
          "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
          "{%0,%1,%2,%3};"
          : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    else
      asm volatile(
          "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
          "{%0,%1,%2,%3};"
          : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
    __trap();
#endif
  }
#ifdef CONVNETS_CUDA_EMU
  static float emuValue(uint32_t w, int e) {
    const uint16_t h = uint16_t(w >> (16 * e));
    return kBf16 ? hostBf16ToFloat(h) : hostFp16ToFloat(h);
  }
#endif
};
using Bf16 = Half16<Precision::Bf16>;
using Fp16 = Half16<Precision::Fp16>;

template <class P>
constexpr Precision tcPrecisionOf() { return P::kPrecision; }

}  // namespace convnets::cuda::tc
