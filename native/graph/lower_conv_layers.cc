#include "graph/lowering.h"

namespace convnets {

void finishConvLayers(std::vector<Step>& steps) {
  for (Step& s : steps) {
    if (!s.conv) continue;
    ConvLayer& L = *s.conv;
    if (!L.plan) {
      auto plan = std::make_shared<ConvPlan>(L.desc, L.weight, L.bias, L.algo, L.relu, L.workspaceLimit);
      if (L.inputAffine) plan->setInputAffine(*L.inputAffine);
      if (L.residual) plan->setResidual();
      L.plan = std::move(plan);
      s.fn = convLayerFn(L);
    }
    s.conv = nullptr;  // the prepared plan has what it needs; do not keep the weights alive
  }
}

}  // namespace convnets
