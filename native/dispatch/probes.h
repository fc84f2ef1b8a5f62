// Measuring and test hooks that reach into the kernels, for the bindings (napi never includes native/cpu):
// the machine's peak FLOP/s (the benchmarks' yardstick) and the Winograd transforms applied to raw tiles.
#pragma once
#include <string>
#include <vector>

namespace convnets::probes {

// FLOP/s with `threads` threads running the FMA loop of the active ISA at once (cpu/peak_flops.h).
double peakFlops(int threads);
// Applies one transform ('weight' | 'input' | 'output') of a Winograd variant ('winograd_2x2_3x3' |
// 'winograd_4x4_3x3') to whole tiles laid out one after another (cpu/conv_winograd.h).
std::vector<float> winogradTransform(const std::string& variant, const std::string& which, const std::vector<float>& in);

}  // namespace convnets::probes
