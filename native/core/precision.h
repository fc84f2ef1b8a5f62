// The arithmetic an op runs in. fp32 is the default and exact (the tolerances of DESIGN.md); the reduced
// precisions run on CUDA tensor cores (sm_80+): operands rounded to TF32 (10 mantissa bits, fp32 range),
// BF16 (7 bits, fp32 range) or FP16 (10 bits, ±65504), products accumulated in fp32, outputs fp32.
// The CPU computes in fp32 only and refuses the others (requireFp32 below) until it supports them.
#pragma once
#include <cstdint>
#include <string>

namespace convnets {

enum class Precision : uint8_t { Fp32, Tf32, Bf16, Fp16 };

const char* precisionName(Precision p);
// 'fp32' | 'tf32' | 'bf16' | 'fp16' → the enum; anything else throws naming op and value.
Precision parsePrecision(const std::string& s, const char* op);
// Throws "<op>: precision 'bf16' runs on CUDA tensor cores only; the CPU computes in fp32" unless fp32.
void requireFp32OnCpu(Precision p, const char* op);

// How a tensor-core kernel tiles a problem of `batch` independent [M × N] products over a reduction of
// `depth` (conv: M = output channels per group, N = output pixels, batch = groups; linear / matmul: M, N
// and the batch): when `allowBigTile`, 128×128 blocks (64×128 when M ≤ 64: a taller block would be half
// empty) if they make 2 waves of a 132-SM GPU's blocks; else 64×64; and k split into `splits` ranges of kPerSplit (a multiple of 32) whose partial sums a workspace
// of splits·batch·M·N floats holds, when the blocks are too few and the reduction deep. A function of
// the shape alone, so the registry sizes workspaces without a device (the kernels call the same).
struct TcSplit {
  enum Tile { k64x64, k128x128, k64x128 };  // block M × N
  Tile tile = k64x64;
  int64_t splits = 1, kPerSplit = 0;
};
// kTile: the k of one tile (tcKTile). Each split covers whole k-tiles.
TcSplit tcSplitFor(int64_t M, int64_t N, int64_t depth, int64_t batch, bool allowBigTile, int64_t kTile);
// The k of one tensor-core tile: 128 bytes of operand per row, 32 TF32 or 64 BF16 / FP16 elements.
inline int64_t tcKTile(Precision p) { return p == Precision::Tf32 ? 32 : 64; }
// Packed operand rows are zero-padded to whole k-tiles.
inline int64_t tcPaddedDepth(int64_t depth, int64_t kTile) { return (depth + kTile - 1) / kTile * kTile; }

}  // namespace convnets
