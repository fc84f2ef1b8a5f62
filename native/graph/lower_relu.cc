#include "graph/lowering.h"
#include "graph/lowering_util.h"

namespace convnets {

// op → relu: the op writes max(y, 0) itself (a conv layer's prepared plan, or the binding's ReLU variant).
void fuseRelu(std::vector<Step>& steps, int output) {
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& p = steps[i];
    // Any device: a rebuilt plan keeps the resolved algorithm and the workspace limit (finishConvLayers).
    bool convLayer = p.conv && !p.conv->relu;
    if ((!convLayer && !p.withRelu) || dead[i] || count[size_t(p.output)] != 1) continue;
    int j = soleReader(steps, i, p.output);
    if (j < 0) continue;
    const Step& r = steps[size_t(j)];
    if (r.kind != StepKind::Relu || !r.unfused() || r.inputs[0].slot != p.output) continue;
    if (convLayer) {
      p.conv->relu = true;
      p.conv->plan = nullptr;  // rebuilt by finishConvLayers
    } else {
      p.fn = p.withRelu();
    }
    p.withRelu = nullptr;
    p.relu = true;
    p.after.push_back(Fusion::Relu);
    p.output = r.output;
    dead[size_t(j)] = true;
  }
  erase(steps, dead);
}

}  // namespace convnets
