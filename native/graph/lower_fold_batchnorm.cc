#include <cmath>

#include "graph/lowering.h"
#include "graph/lowering_util.h"

namespace convnets {

// conv → batchNorm: y = (conv(x, W) + b − mean)·a + beta with a = gamma / sqrt(var + eps) per output
// channel k, which is conv(x, W·a_k) + (b − mean)·a + beta. Folded in double, stored as float.
void foldBatchNorm(std::vector<Step>& steps, int output) {
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& c = steps[i];
    // Any device: the folding is done in double on host copies and the result goes back to the weights'
    // device (on CUDA it was skipped, and eager-speed compiled plans lost ResNet-50's 53 batch-norm passes).
    if (!c.conv || c.conv->relu || count[size_t(c.output)] != 1) continue;
    int j = soleReader(steps, i, c.output);
    if (j < 0) continue;
    Step& bn = steps[size_t(j)];
    if (bn.kind != StepKind::BatchNorm || !bn.unfused() || bn.inputs.size() != 5 || bn.inputs[0].slot != c.output)
      continue;
    bool constants = true;
    for (size_t k = 1; k < 5; ++k) constants = constants && bn.inputs[k].slot < 0;
    if (!constants || !bn.inputs[1].constant.defined() || !bn.inputs[2].constant.defined()) continue;
    ConvLayer& L = *c.conv;
    const int64_t K = L.weight.size(0);
    if (bn.inputs[1].constant.numel() != K) continue;  // eager mode would have thrown; be safe anyway
    const Tensor meanT = onCpu(bn.inputs[1].constant), varT = onCpu(bn.inputs[2].constant);
    const Tensor gammaT = onCpu(bn.inputs[3].constant), betaT = onCpu(bn.inputs[4].constant);
    const Tensor weightT = onCpu(L.weight), biasT = onCpu(L.bias);
    const float* mean = meanT.data();
    const float* var = varT.data();
    const float* gamma = gammaT.defined() ? gammaT.data() : nullptr;
    const float* beta = betaT.defined() ? betaT.data() : nullptr;
    Tensor w = Tensor::empty(L.weight.shape());
    Tensor b = Tensor::empty({K});
    const int64_t per = L.weight.numel() / K;
    for (int64_t k = 0; k < K; ++k) {
      const double a = bnScale(gamma, var, bn.eps, k);
      for (int64_t e = 0; e < per; ++e) w.data()[k * per + e] = float(double(weightT.data()[k * per + e]) * a);
      const double b0 = biasT.defined() ? biasT.data()[k] : 0.0;
      b.data()[k] = float((b0 - mean[k]) * a + (beta ? beta[k] : 0.0));
    }
    const Device device = L.weight.device();
    L.weight = device.isCpu() ? w : w.to(device);
    L.bias = device.isCpu() ? b : b.to(device);
    L.relu = bn.relu;
    L.plan = nullptr;  // rebuilt by finishConvLayers
    // The conv shows the BN, and the ReLU the BN's binding fused (F.batchNorm(…, relu)) as now its own.
    c.after.push_back(Fusion::BatchNorm);
    if (bn.relu) c.after.push_back(Fusion::Relu);
    c.output = bn.output;
    c.withRelu = nullptr;
    dead[size_t(j)] = true;
  }
  erase(steps, dead);
}

}  // namespace convnets
