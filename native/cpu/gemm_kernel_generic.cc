// Portable GEMM microkernel: 4×16 tile in plain loops (the compiler vectorises the j loop with SSE2).
// Always available; correctness reference for the ISA kernels' packing and epilogue.
#include "cpu/gemm.h"

namespace convnets::cpu {
namespace {

constexpr int MR = 4, NR = 16;

void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr, const TileEpilogue& e) {
  alignas(64) float acc[MR * NR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int i = 0; i < MR; ++i) {
      float ai = a[i];
      for (int j = 0; j < NR; ++j) acc[i * NR + j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  storeTile(acc, NR, c, ldc, mr, nr, e);
}

}  // namespace

GemmKernel gemmKernelGeneric() { return {Isa::Generic, MR, NR, kernel}; }

}  // namespace convnets::cpu
