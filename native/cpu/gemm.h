// Single-precision GEMM, BLIS style: both operands are packed into micro-panels (A into mr-row panels,
// B into nr-column panels, zero padded), a register-blocked microkernel per ISA computes mr×nr tiles,
// and the driver blocks K (KC, L1) and M (MC, L2) from the cache sizes and splits tiles over the pool.
// The epilogue (per-row or per-column bias, ReLU, accumulate) is fused into the microkernel's store.
//
// Packed layouts (what conv algorithms write directly, e.g. Winograd's input transform):
//   A (M×K): panel p = rows [p·mr, p·mr+mr), element (i, k) at  p·K·mr + k·mr + i%mr
//   B (K×N): panel q = cols [q·nr, q·nr+nr), element (k, j) at  q·K·nr + k·nr + j%nr
// A KC-slice of a panel is therefore contiguous: offset k0·mr (A) or k0·nr (B).
#pragma once
#include <cstdint>
#include <functional>

#include "core/cpu_features.h"

namespace convnets::cpu {

// mr×nr tile of C: (accumulate ? C : 0) + Σ_k a[k·mr + i]·b[k·nr + j]; then + rowBias[i] + colBias[j]
// (either may be null) and ReLU when asked. mr/nr may be smaller than the kernel's (edge tiles).
struct TileEpilogue {
  bool accumulate = false;
  const float* rowBias = nullptr;
  const float* colBias = nullptr;
  bool relu = false;
  // The A slice the next tile will read (same layout and length as this one's), or null. Kernels that
  // can prefetch it do so one line per k step: consecutive tiles' A slices lie a whole panel (K·mr
  // floats) apart, a jump per tile that the hardware prefetchers re-learn every time, and layers whose
  // weights stream from memory (ResNet's 3×3/2 and deep 1×1 convs: 4–9 MB) stall on it.
  const float* aNext = nullptr;
};
using MicroKernelFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr,
                               const TileEpilogue& e);

// Packs one full panel of `width` rows of a row-major matrix (row stride ws, read along K) into the
// panel layout out[k·width + i] (a transpose). Optional per kernel: null means the scalar gather.
using PackRowsFn = void (*)(int64_t depth, const float* in, int64_t ws, int width, float* out);

// A full-width (nr columns) tile with B read in place from a row-major matrix, rows ldb floats apart.
using StridedBKernelFn = void (*)(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                                  int mr, const TileEpilogue& e);

// A tile (nr ≤ the kernel's nr columns) with B row k read in place at b + offs[k] (implicit GEMM
// convolution: rows are shifted views of the padded input). The kernel may read offs[kc, kc + 8) (prefetch)
// and the full kernel width of every row (columns past nr are computed but not stored).
using IndirectBKernelFn = void (*)(int64_t kc, const float* a, const float* b, const int32_t* offs, float* c,
                                   int64_t ldc, int mr, int nr, const TileEpilogue& e);

// Where a kernel's B rows lie (the kernels are templates over these): `ldb` floats apart (a packed panel,
// ldb = the panel width, a constant after inlining, or the rows of a row-major matrix), or at b + offs[k]
// (implicit GEMM's shifted input rows).
struct StridedRows {
  const float* b;
  int64_t ldb;
  const float* operator()(int64_t k) const { return b + k * ldb; }
};
struct IndirectRows {
  const float* b;
  const int32_t* offs;
  const float* operator()(int64_t k) const { return b + offs[k]; }
};

struct GemmKernel {
  Isa isa;
  int mr, nr;
  MicroKernelFn fn;
  PackRowsFn packRows = nullptr;
  StridedBKernelFn stridedB = nullptr;  // optional (AVX-512 and AVX2 main kernels): 1×1 convs skip packing B
  IndirectBKernelFn indirectB = nullptr;  // optional (AVX-512 and AVX2 main kernels): implicit GEMM skips packing B
};
// The microkernel for `isa` (gemm_kernel_<isa>.cc).
const GemmKernel& gemmKernel(Isa isa);
// A kernel for products with few columns (N ≤ 16 or just above a multiple of 16): AVX-512 has a
// 16-column one; other ISAs return their main kernel.
const GemmKernel& gemmKernelNarrow(Isa isa);
GemmKernel gemmKernelAvx512();
GemmKernel gemmKernelAvx512Narrow();
PackRowsFn packRowsTransposedAvx512();
GemmKernel gemmKernelAvx2();
GemmKernel gemmKernelGeneric();
// Stores an mr×nr tile computed into `tile` (row stride ldt) with the epilogue: used by the kernels
// for edge tiles, and by the generic kernel always. Lives in gemm.cc (no ISA flags).
void storeTile(const float* tile, int64_t ldt, float* c, int64_t ldc, int mr, int nr, const TileEpilogue& e);

// Whole-GEMM epilogue: bias per row of C (length M) or per column (length N), ReLU, C += instead of C =.
struct GemmEpilogue {
  const float* rowBias = nullptr;
  const float* colBias = nullptr;
  bool relu = false;
  bool accumulate = false;
};

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
// Floats needed by a packed A (M×K) or B (K×N) for kernel k.
int64_t packedASize(const GemmKernel& k, int64_t M, int64_t K);
int64_t packedBSize(const GemmKernel& k, int64_t K, int64_t N);
// Packs A: element (i, k) read at src[i·rs + k·cs]. Parallel over panels unless `serial`.
void packA(const GemmKernel& k, int64_t M, int64_t K, const float* src, int64_t rs, int64_t cs, float* dst,
           bool serial = false);
// Packs B: element (k, j) read at src[k·rs + j·cs].
void packB(const GemmKernel& k, int64_t K, int64_t N, const float* src, int64_t rs, int64_t cs, float* dst,
           bool serial = false);

// Operands of product number b of a batch (all of the same M×N×K).
struct GemmOperands {
  const float* a;  // packed A
  const float* b;  // packed B
  float* c;        // row-major C, row stride ldc
  const float* rowBias = nullptr;
  const float* colBias = nullptr;
};
using GemmOperandsFn = std::function<GemmOperands(int64_t b)>;

// One task's product, serially: C (M×N) = A·B from packed A (M×K) and packed B (K×N), blocked by KC.
void gemmPackedSerial(const GemmKernel& k, int64_t M, int64_t N, int64_t K, const GemmOperands& op, int64_t ldc,
                      bool relu, bool accumulate = false);
// gemmPackedSerial with B unpacked: the full nr-column panels of columns [0, N) read in place from a
// row-major K×N matrix b (row stride ldb); a ragged last panel (N not a multiple of k.nr) from `tail`,
// that panel packed (K × nr floats). One pass over A serves both (each KC slice of A is still in L2 when
// the tail's tiles read it). Needs k.stridedB.
void gemmStridedBSerial(const GemmKernel& k, int64_t M, int64_t N, int64_t K, const float* a, const float* b,
                        int64_t ldb, const float* tail, float* c, int64_t ldc, const float* rowBias, bool relu,
                        bool accumulate);
// gemmPackedSerial with B row k at b + offs[k] (offs[0, K + 8) readable); N ≤ the rows' readable width.
// Without k.indirectB each KC × nr strip is copied into `panel` (KC · nr floats) for the packed kernel.
void gemmIndirectBSerial(const GemmKernel& k, int64_t M, int64_t N, int64_t K, const float* a, const float* b,
                         const int32_t* offs, float* c, int64_t ldc, const float* rowBias, bool relu, float* panel);
// How to cut `batch` products of M×N (depth K) into tasks for the pool: blocks of mb rows × nb columns
// (multiples of mr / nr), starting from the L2 block and split until each thread has a few tasks, but
// not below kMinTaskFlops a task when K is given (a batch-1 7×7 layer on 64 threads would otherwise
// be cut into mr-row slivers whose fixed costs exceed their work: the pool then runs it on fewer threads).
struct GemmSplit { int64_t mb, nb, mBlocks, nBlocks; };
constexpr int64_t kMinTaskFlops = int64_t(1) << 19;  // ~2.5 µs at one core's AVX-512 peak
GemmSplit gemmSplit(const GemmKernel& k, int64_t batch, int64_t M, int64_t N, int64_t maxNb = 4096, int64_t K = 0);

// `batch` independent products C_b = A_b·B_b from packed operands, all tiles in one parallel region.
void gemmPackedBatch(const GemmKernel& k, int64_t batch, int64_t M, int64_t N, int64_t K, int64_t ldc,
                     const GemmOperandsFn& operands, bool relu, bool accumulate = false);

// C (M×N, row stride ldc) = A·B + epilogue. A element (i, k) at A[i·ars + k·acs], B element (k, j) at
// B[k·brs + j·bcs] (so transposed operands are just swapped strides). Packs into a workspace.
void sgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t ars, int64_t acs, const float* B, int64_t brs,
           int64_t bcs, float* C, int64_t ldc, const GemmEpilogue& e = {});

// Blocking chosen from the cache sizes (exposed for the benchmark's report).
struct GemmBlocking { int64_t kc, mc; };
GemmBlocking gemmBlocking(const GemmKernel& k);

}  // namespace convnets::cpu
