// Peak single-precision FLOP/s measured by an FMA loop (the benchmark's yardstick).
#pragma once
#include <cstdint>

namespace convnets::cpu {

// Runs `iters` rounds of independent FMAs on this thread; returns the FLOPs done (per ISA file).
double fmaLoopAvx512(int64_t iters);
double fmaLoopAvx2(int64_t iters);
// FLOP/s with `threads` threads running the loop of the active ISA at once.
double peakFlops(int threads);

}  // namespace convnets::cpu
