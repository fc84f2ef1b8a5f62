#include "dispatch/conv_registry.h"
#include "graph/lowering.h"
#include "graph/lowering_util.h"

namespace convnets {

// conv → add(conv, r) (+ ReLU): the conv's GEMM adds into a buffer that holds r (ops::add demands equal
// shapes, so the traced shapes match). Only when the conv has no ReLU of its own (it would come before the sum).
void fuseResidualAdd(std::vector<Step>& steps, int output) {
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& c = steps[i];
    if (!c.conv || c.conv->relu || c.conv->residual || !c.conv->weight.device().isCpu() || c.inputs.size() != 1 ||
        count[size_t(c.output)] != 1 || !convAlgorithm(c.conv->algo).caps.residual)
      continue;
    int j = soleReader(steps, i, c.output);
    if (j < 0) continue;
    Step& a = steps[size_t(j)];
    if (a.kind != StepKind::Add || !a.unfusedButRelu() || a.inputs.size() != 2) continue;
    const int k = a.inputs[0].slot == c.output ? 0 : 1;
    const StepRef& other = a.inputs[size_t(1 - k)];
    // The other addend must exist when the conv runs (an earlier slot, not this conv's own output).
    if (a.inputs[size_t(k)].slot != c.output || other.slot < 0 || other.slot == c.output) continue;
    bool earlier = other.slot == 0;
    for (size_t p = 0; p < i && !earlier; ++p) earlier = steps[p].output == other.slot;
    if (!earlier) continue;
    c.conv->residual = true;
    c.conv->relu = a.relu;
    c.conv->plan = nullptr;  // rebuilt by finishConvLayers
    c.inputs.push_back(other);
    c.after.push_back(Fusion::Residual);
    c.after.insert(c.after.end(), a.after.begin(), a.after.end());  // the add's fused ReLU
    c.output = a.output;
    c.withRelu = nullptr;
    dead[size_t(j)] = true;
  }
  erase(steps, dead);
}

}  // namespace convnets
