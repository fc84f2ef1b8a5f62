#include <algorithm>

#include "graph/lowering.h"
#include "graph/lowering_util.h"

namespace convnets {

void dropDeadSteps(std::vector<Step>& steps, int output) {
  int n = output + 1;
  for (const Step& s : steps) n = std::max(n, s.output + 1);
  std::vector<bool> needed(size_t(n), false), dead(steps.size(), false);
  needed[size_t(output)] = true;
  for (size_t i = steps.size(); i-- > 0;) {
    if (!needed[size_t(steps[i].output)]) {
      dead[i] = true;
      continue;
    }
    for (const StepRef& r : steps[i].inputs)
      if (r.slot >= 0) needed[size_t(r.slot)] = true;
  }
  erase(steps, dead);
}

}  // namespace convnets
