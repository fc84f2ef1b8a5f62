// What the lowering passes (lower_*.cc) share: who reads a slot, where constants live, removing steps.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "graph/step.h"

namespace convnets {

// How many step operands (plus the plan output) read each slot.
std::vector<int> readers(const std::vector<Step>& steps, int output);

// The index of the first step after `after` that reads `slot` (its only reader when readers() says 1), or -1.
int soleReader(const std::vector<Step>& steps, size_t after, int slot);

// A constant operand on the CPU (or an absent optional one).
bool cpuConstant(const StepRef& r);

// A host copy of a constant (itself when already on the CPU or undefined).
Tensor onCpu(const Tensor& t);

// An inference batch norm's per-channel scale gamma[c] / sqrt(var[c] + eps), in double (gamma null: 1), as
// both BN passes (folded into a conv's weights, or into its input packing) apply it.
inline double bnScale(const float* gamma, const float* var, double eps, int64_t c) {
  return (gamma ? gamma[c] : 1.0) / std::sqrt(double(var[c]) + eps);
}

// An inference batchNorm step's per-channel map x·scale + shift (and its ReLU), when its statistics and
// affine parameters are CPU constants of C channels; false otherwise.
bool bnAffine(const Step& bn, int64_t C, InputAffine& out);

// Removes the steps marked dead, keeping the order of the rest.
void erase(std::vector<Step>& steps, const std::vector<bool>& dead);

}  // namespace convnets
