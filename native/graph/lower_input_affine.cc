#include <cmath>

#include "dispatch/conv_registry.h"
#include "graph/lowering.h"
#include "graph/lowering_util.h"

namespace convnets {

// batchNorm(+relu) → conv: conv(max?(x·a + shift, 0)) with a = gamma / sqrt(var + eps) and
// shift = beta − mean·a per input channel, applied while the conv packs its input (in double, stored
// as float, like foldBatchNorm). Unlike folding into the conv after it, the ReLU in between and the
// conv's zero padding make this exact only inside the packing, hence only for algorithms that take it.
void fuseInputAffine(std::vector<Step>& steps, int output) {
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& bn = steps[i];
    if (bn.kind != StepKind::BatchNorm || !bn.unfusedButRelu() || bn.inputs.size() != 5 ||
        count[size_t(bn.output)] != 1)
      continue;
    int j = soleReader(steps, i, bn.output);
    if (j < 0) continue;
    Step& c = steps[size_t(j)];
    if (!c.conv || c.conv->inputAffine || !c.conv->weight.device().isCpu() || c.inputs.empty() ||
        c.inputs[0].slot != bn.output || !convAlgorithm(c.conv->algo).caps.inputAffine)
      continue;
    InputAffine a;
    if (!bnAffine(bn, c.conv->desc.C, a)) continue;
    c.conv->inputAffine = std::make_shared<const InputAffine>(std::move(a));
    c.conv->plan = nullptr;  // rebuilt by finishConvLayers
    c.inputs[0] = bn.inputs[0];
    // The conv shows the BN step in front as the BN showed itself: "batchNorm+relu" when fuseRelu merged the
    // ReLU, plain "batchNorm" when its binding fused it (foldBatchNorm shows that one; both names are kept as
    // they were before steps had kinds).
    c.before.insert(c.before.begin(), bn.after.begin(), bn.after.end());
    c.before.insert(c.before.begin(), Fusion::BatchNorm);
    dead[i] = true;
  }
  erase(steps, dead);
}

}  // namespace convnets
