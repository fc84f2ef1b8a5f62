// Portable GEMM microkernel: 2×16 tile of 4-lane vectors (GCC vector extensions: SSE2, the x86-64 baseline),
// 8 accumulators + 4 for B + 1 broadcast of the 16 xmm registers; 16 columns because Winograd's input
// transform writes 16-tile blocks into B panels. Always available; correctness reference
// for the ISA kernels' packing and epilogue. (A plain float array of accumulators, address-taken by the
// store, stayed in memory: 14 GFLOP/s on 1024³ with 2 threads.)
#include "cpu/gemm.h"

namespace convnets::cpu {
namespace {

constexpr int MR = 2, NR = 16, NV = NR / 4;
typedef float v4 __attribute__((vector_size(16)));

void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr, const TileEpilogue& e) {
  v4 acc[MR][NV];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = v4{};
  for (int64_t k = 0; k < kc; ++k) {
    v4 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) __builtin_memcpy(&bv[v], b + 4 * v, sizeof(v4));
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const v4 ai = v4{} + a[i];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] += ai * bv[v];
    }
    a += MR;
    b += NR;
  }
  alignas(16) float tile[MR * NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) __builtin_memcpy(tile + i * NR + 4 * v, &acc[i][v], sizeof(v4));
  storeTile(tile, NR, c, ldc, mr, nr, e);
}

}  // namespace

GemmKernel gemmKernelGeneric() { return {Isa::Generic, MR, NR, kernel}; }

}  // namespace convnets::cpu
