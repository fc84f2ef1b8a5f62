// Which x86-64 instruction set the CPU kernels use. Detected once from cpuid; the environment variable
// CONVNETS_ISA (generic | avx2 | avx512) or setIsa() may force a lower one (tests run every path).
#pragma once
#include <string>
#include <vector>

namespace convnets {

enum class Isa { Generic = 0, Avx2 = 1, Avx512 = 2 };

Isa detectedIsa();  // best the CPU supports (AVX2 means AVX2 + FMA)
Isa activeIsa();    // what kernels dispatch on now
void setIsa(Isa isa);  // throws when the CPU lacks it
Isa parseIsa(const std::string& name);  // throws naming the string
const char* isaName(Isa isa);
std::vector<Isa> availableIsas();  // every ISA this CPU can run, lowest first

}  // namespace convnets
