#include "graph/lowering_util.h"

#include <algorithm>

namespace convnets {

std::vector<int> readers(const std::vector<Step>& steps, int output) {
  int n = output + 1;
  for (const Step& s : steps) n = std::max(n, s.output + 1);
  std::vector<int> count(size_t(n), 0);
  for (const Step& s : steps)
    for (const StepRef& r : s.inputs)
      if (r.slot >= 0) count[size_t(r.slot)] += 1;
  count[size_t(output)] += 1;
  return count;
}

int soleReader(const std::vector<Step>& steps, size_t after, int slot) {
  for (size_t j = after + 1; j < steps.size(); ++j)
    for (const StepRef& r : steps[j].inputs)
      if (r.slot == slot) return int(j);
  return -1;
}

bool cpuConstant(const StepRef& r) { return r.slot < 0 && (!r.constant.defined() || r.constant.device().isCpu()); }

Tensor onCpu(const Tensor& t) { return !t.defined() || t.device().isCpu() ? t : t.to(Device{}); }

bool bnAffine(const Step& bn, int64_t C, InputAffine& out) {
  if (bn.kind != StepKind::BatchNorm || bn.inputs.size() != 5) return false;
  for (size_t k = 1; k < 5; ++k)
    if (!cpuConstant(bn.inputs[k])) return false;
  if (!bn.inputs[1].constant.defined() || !bn.inputs[2].constant.defined()) return false;
  for (size_t k = 1; k < 5; ++k)
    if (bn.inputs[k].constant.defined() && bn.inputs[k].constant.numel() != C) return false;
  const float* mean = bn.inputs[1].constant.data();
  const float* var = bn.inputs[2].constant.data();
  const float* gamma = bn.inputs[3].constant.defined() ? bn.inputs[3].constant.data() : nullptr;
  const float* beta = bn.inputs[4].constant.defined() ? bn.inputs[4].constant.data() : nullptr;
  out = InputAffine();
  out.relu = bn.relu;
  for (int64_t ch = 0; ch < C; ++ch) {
    const double s = bnScale(gamma, var, bn.eps, ch);
    out.scale.push_back(float(s));
    out.shift.push_back(float((beta ? beta[ch] : 0.0) - double(mean[ch]) * s));
  }
  return true;
}

void erase(std::vector<Step>& steps, const std::vector<bool>& dead) {
  size_t k = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (dead[i]) continue;
    if (k != i) steps[k] = std::move(steps[i]);  // never self-move: it would empty the step
    ++k;
  }
  steps.resize(k);
}

}  // namespace convnets
