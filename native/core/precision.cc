#include "core/precision.h"

#include "core/error.h"

namespace convnets {

const char* precisionName(Precision p) {
  switch (p) {
    case Precision::Fp32: return "fp32";
    case Precision::Tf32: return "tf32";
    case Precision::Bf16: return "bf16";
    case Precision::Fp16: return "fp16";
  }
  return "?";
}

Precision parsePrecision(const std::string& s, const char* op) {
  if (s == "fp32") return Precision::Fp32;
  if (s == "tf32") return Precision::Tf32;
  if (s == "bf16") return Precision::Bf16;
  if (s == "fp16") return Precision::Fp16;
  fail(op, ": precision must be 'fp32', 'tf32', 'bf16' or 'fp16', got '", s, "'");
}

void requireFp32OnCpu(Precision p, const char* op) {
  CN_CHECK(p == Precision::Fp32, op, ": precision '", precisionName(p),
           "' runs on CUDA tensor cores only; the CPU computes in fp32 (use precision 'fp32' or a CUDA device)");
}

// Targets: 264 blocks (two per SM of a 132-SM H100/H200; fewer SMs only means more waves) and at least 4
// k-tiles per split (and 8 in all before splitting), at most 16 splits.
TcSplit tcSplitFor(int64_t M, int64_t N, int64_t depth, int64_t batch, bool allowBigTile, int64_t kTile) {
  constexpr int64_t kTargetBlocks = 264;
  TcSplit sp;
  const int64_t big = ((N + 127) / 128) * ((M + 127) / 128) * batch;
  const int64_t wide = ((N + 127) / 128) * ((M + 63) / 64) * batch;
  if (allowBigTile && M <= 64 && wide >= kTargetBlocks) sp.tile = TcSplit::k64x128;
  else if (allowBigTile && big >= kTargetBlocks) sp.tile = TcSplit::k128x128;
  const int64_t blocks = ((N + 63) / 64) * ((M + 63) / 64) * batch;
  const int64_t kTiles = (depth + kTile - 1) / kTile;
  sp.kPerSplit = tcPaddedDepth(depth, kTile);
  if (sp.tile == TcSplit::k64x64 && blocks < kTargetBlocks / 2 && kTiles >= 8) {
    int64_t splits = (kTargetBlocks + blocks - 1) / blocks;
    if (splits > kTiles / 4) splits = kTiles / 4;
    if (splits > 16) splits = 16;
    if (splits > 1) {
      const int64_t tilesPer = (kTiles + splits - 1) / splits;
      sp.kPerSplit = tilesPer * kTile;
      sp.splits = (kTiles + tilesPer - 1) / tilesPer;
    }
  }
  return sp;
}

}  // namespace convnets
