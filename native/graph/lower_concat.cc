#include "dispatch/conv_registry.h"
#include "graph/lowering.h"
#include "graph/lowering_util.h"

namespace convnets {

// cat(parts, 1) → conv: the conv reads the parts' channel planes where they lie. Runs after
// fuseInputAffine, so that a BN (+ ReLU) between them is already part of the conv.
// A channel cat of a channel cat is first flattened (cat([cat([a, b]), c]) = cat([a, b, c])): a dense block
// that keeps a running concatenation (features = cat([features, fresh])) has every cat read both by its
// layer and by the next cat; flattened, each is read by its layer only, and the chain of growing copies goes.
void fuseConcatInput(std::vector<Step>& steps, int output) {
  std::vector<int> catAt;  // slot → index of the channel cat that writes it, or -1
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& s = steps[i];
    if (s.kind != StepKind::Cat || !s.unfused() || s.concatDim != 1) continue;
    std::vector<StepRef> flat;
    for (const StepRef& r : s.inputs) {
      const int p = r.slot >= 0 && size_t(r.slot) < catAt.size() ? catAt[size_t(r.slot)] : -1;
      if (p >= 0) flat.insert(flat.end(), steps[size_t(p)].inputs.begin(), steps[size_t(p)].inputs.end());
      else flat.push_back(r);
    }
    s.inputs = std::move(flat);
    if (catAt.size() <= size_t(s.output)) catAt.resize(size_t(s.output) + 1, -1);
    catAt[size_t(s.output)] = int(i);
  }
  dropDeadSteps(steps, output);  // inner cats that only outer cats read
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& cat = steps[i];
    if (cat.kind != StepKind::Cat || !cat.unfused() || cat.concatDim != 1 || cat.inputs.empty() ||
        count[size_t(cat.output)] != 1)
      continue;
    int j = soleReader(steps, i, cat.output);
    if (j < 0) continue;
    Step& c = steps[size_t(j)];
    if (!c.conv || c.conv->residual || c.conv->concatInput || !c.conv->weight.device().isCpu() || c.inputs.size() != 1 ||
        c.inputs[0].slot != cat.output || c.conv->desc.strideH != 1 || c.conv->desc.strideW != 1 ||
        !convAlgorithm(c.conv->algo).runPlanes)
      continue;
    bool cpu = true;  // constant parts must be CPU tensors too (ConvPlan::runConcat checks again)
    for (const StepRef& r : cat.inputs) cpu = cpu && (r.slot >= 0 || cpuConstant(r));
    if (!cpu) continue;
    c.conv->concatInput = true;
    c.conv->plan = nullptr;  // rebuilt by finishConvLayers
    c.inputs = cat.inputs;
    c.before.insert(c.before.begin(), Fusion::Concat);
    dead[i] = true;
  }
  erase(steps, dead);
}

}  // namespace convnets
