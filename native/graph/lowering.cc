// Lowering passes over a recorded plan. Each rewrites only patterns it can prove equivalent (a single
// reader, constant operands on the CPU) and otherwise leaves the steps alone: skipping is always safe.
#include <cmath>
#include <algorithm>

#include "dispatch/conv_registry.h"
#include "dispatch/ops.h"
#include "graph/plan.h"

namespace convnets {
namespace {

// How many step operands (plus the plan output) read each slot.
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

// The index of the step reading `slot` (its only reader), or -1.
int soleReader(const std::vector<Step>& steps, size_t after, int slot) {
  for (size_t j = after + 1; j < steps.size(); ++j)
    for (const StepRef& r : steps[j].inputs)
      if (r.slot == slot) return int(j);
  return -1;
}

bool cpuConstant(const StepRef& r) { return r.slot < 0 && (!r.constant.defined() || r.constant.device().isCpu()); }

// A host copy of a constant (itself when already on the CPU or undefined).
Tensor onCpu(const Tensor& t) { return !t.defined() || t.device().isCpu() ? t : t.to(Device{}); }

void erase(std::vector<Step>& steps, std::vector<bool>& dead) {
  size_t k = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (dead[i]) continue;
    if (k != i) steps[k] = std::move(steps[i]);  // never self-move: it would empty the step
    ++k;
  }
  steps.resize(k);
}

}  // namespace

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
    if (bn.op != "batchNorm" || bn.inputs.size() != 5 || bn.inputs[0].slot != c.output) continue;
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
      const double a = (gamma ? gamma[k] : 1.0) / std::sqrt(double(var[k]) + bn.eps);
      for (int64_t e = 0; e < per; ++e) w.data()[k * per + e] = float(double(weightT.data()[k * per + e]) * a);
      const double b0 = biasT.defined() ? biasT.data()[k] : 0.0;
      b.data()[k] = float((b0 - mean[k]) * a + (beta ? beta[k] : 0.0));
    }
    const Device device = L.weight.device();
    L.weight = device.isCpu() ? w : w.to(device);
    L.bias = device.isCpu() ? b : b.to(device);
    L.relu = bn.relu;
    L.plan = nullptr;  // rebuilt by finishConvLayers
    c.op = "conv2d+batchNorm" + std::string(bn.relu ? "+relu" : "");
    c.output = bn.output;
    c.withRelu = nullptr;
    dead[size_t(j)] = true;
  }
  erase(steps, dead);
}

void fuseRelu(std::vector<Step>& steps, int output) {
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& p = steps[i];
    // Any device: a rebuilt plan keeps the resolved algorithm and the workspace limit (finishConvLayers).
    bool convLayer = p.conv && !p.conv->relu;
    if ((!convLayer && !p.withRelu) || dead[i] || count[size_t(p.output)] != 1) continue;
    int j = soleReader(steps, i, p.output);
    if (j < 0 || steps[size_t(j)].op != "relu" || steps[size_t(j)].inputs[0].slot != p.output) continue;
    if (convLayer) {
      p.conv->relu = true;
      p.conv->plan = nullptr;  // rebuilt by finishConvLayers
    } else {
      p.fn = p.withRelu();
    }
    p.withRelu = nullptr;
    p.relu = true;
    p.op += "+relu";
    p.output = steps[size_t(j)].output;
    dead[size_t(j)] = true;
  }
  erase(steps, dead);
}

// batchNorm(+relu) → conv: conv(max?(x·a + shift, 0)) with a = gamma / sqrt(var + eps) and
// shift = beta − mean·a per input channel, applied while the conv packs its input (in double, stored
// as float, like foldBatchNorm). Unlike folding into the conv after it, the ReLU in between and the
// conv's zero padding make this exact only inside the packing, hence only for algorithms that take it.
void fuseInputAffine(std::vector<Step>& steps, int output) {
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& bn = steps[i];
    if ((bn.op != "batchNorm" && bn.op != "batchNorm+relu") || bn.inputs.size() != 5 || count[size_t(bn.output)] != 1)
      continue;
    bool constants = true;
    for (size_t k = 1; k < 5; ++k) constants = constants && cpuConstant(bn.inputs[k]);
    if (!constants || !bn.inputs[1].constant.defined() || !bn.inputs[2].constant.defined()) continue;
    int j = soleReader(steps, i, bn.output);
    if (j < 0) continue;
    Step& c = steps[size_t(j)];
    if (!c.conv || c.conv->inputAffine || !c.conv->weight.device().isCpu() || c.inputs.empty() ||
        c.inputs[0].slot != bn.output || !convAlgorithm(c.conv->algo).caps.inputAffine)
      continue;
    const int64_t C = c.conv->desc.C;
    if (bn.inputs[1].constant.numel() != C || bn.inputs[2].constant.numel() != C) continue;
    const float* mean = bn.inputs[1].constant.data();
    const float* var = bn.inputs[2].constant.data();
    const float* gamma = bn.inputs[3].constant.defined() ? bn.inputs[3].constant.data() : nullptr;
    const float* beta = bn.inputs[4].constant.defined() ? bn.inputs[4].constant.data() : nullptr;
    InputAffine a;
    a.relu = bn.relu;
    for (int64_t ch = 0; ch < C; ++ch) {
      const double s = (gamma ? gamma[ch] : 1.0) / std::sqrt(double(var[ch]) + bn.eps);
      a.scale.push_back(float(s));
      a.shift.push_back(float((beta ? beta[ch] : 0.0) - double(mean[ch]) * s));
    }
    c.conv->inputAffine = std::make_shared<const InputAffine>(std::move(a));
    c.conv->plan = nullptr;  // rebuilt by finishConvLayers
    c.inputs[0] = bn.inputs[0];
    c.op = bn.op + "+" + c.op;
    dead[i] = true;
  }
  erase(steps, dead);
}

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
    if ((a.op != "add" && a.op != "add+relu") || a.inputs.size() != 2) continue;
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
    c.op += "+" + a.op;
    c.output = a.output;
    c.withRelu = nullptr;
    dead[size_t(j)] = true;
  }
  erase(steps, dead);
}

// cat(parts, 1) → conv: the conv reads the parts' channel planes where they lie. Runs after
// fuseInputAffine, so that a BN (+ ReLU) between them is already part of the conv.
// A channel cat of a channel cat is first flattened (cat([cat([a, b]), c]) = cat([a, b, c])): a dense block
// that keeps a running concatenation (features = cat([features, fresh])) has every cat read both by its
// layer and by the next cat; flattened, each is read by its layer only, and the chain of growing copies goes.
void fuseConcatInput(std::vector<Step>& steps, int output) {
  std::vector<int> catAt;  // slot → index of the channel cat that writes it, or -1
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& s = steps[i];
    if (s.op != "cat" || s.concatDim != 1) continue;
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
    if (cat.op != "cat" || cat.concatDim != 1 || cat.inputs.empty() || count[size_t(cat.output)] != 1) continue;
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
    c.op = "cat+" + c.op;
    dead[i] = true;
  }
  erase(steps, dead);
}

// conv 1×1 → avgPool2d (window = stride, no padding): both are linear, the conv acts on each pixel and the
// pool on each channel, so pool(conv(f(x))) = conv(pool(f(x))), f being the conv's input affine map (BN,
// ReLU) if any. The pool step takes over the conv's inputs (the concatenated parts) and its affine map; the
// conv then reads the pooled planes. Not exact in float: window sums and channel sums change order.
void poolBeforePointwiseConv(std::vector<Step>& steps, int output) {
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  std::vector<Step> pools(steps.size());  // pools[i]: the pool step to run right before conv i (op empty: none)
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& c = steps[i];
    if (!c.conv || dead[i] || count[size_t(c.output)] != 1) continue;
    ConvLayer& L = *c.conv;
    const ConvDesc& d = L.desc;
    if (L.relu || L.residual || !L.weight.device().isCpu() || d.R != 1 || d.S != 1 || d.strideH != 1 ||
        d.strideW != 1 || d.padH || d.padW || d.padBottom || d.padRight)
      continue;
    const int j = soleReader(steps, i, c.output);
    if (j < 0) continue;
    const Step& p = steps[size_t(j)];
    if (p.op != "avgPool2d" || !p.avgPool || p.inputs.size() != 1 || p.inputs[0].slot != c.output) continue;
    const AvgPoolWindow& w = *p.avgPool;
    // Floor mode drops the same trailing rows either way; ceil mode's partial windows are left alone.
    if (w.ph || w.pw || w.sh != w.kh || w.sw != w.kw || d.H < w.kh || d.W < w.kw ||
        (w.ceilMode && (d.H % w.kh || d.W % w.kw)))
      continue;
    const size_t conv = c.op.find("conv2d");
    Step& pool = pools[i];
    pool.op = c.op.substr(0, conv) + "avgPool2d";  // "cat+batchNorm+avgPool2d": what it now reads and applies
    pool.inputs = c.inputs;
    pool.output = c.output;  // free: the pool step was its only reader
    const std::shared_ptr<const InputAffine> affine = L.inputAffine;
    const ops::Pair window{w.kh, w.kw};
    pool.fn = [affine, window](const std::vector<Tensor>& in) {
      static const std::vector<float> none;
      return ops::affineAvgPool(in, affine ? affine->scale : none, affine ? affine->shift : none,
                                affine && affine->relu, window);
    };
    L.desc = ConvDesc({d.N, d.C, d.H / w.kh, d.W / w.kw}, L.weight.shape(), L.opts, L.bias.defined() ? L.bias.numel() : -1);
    L.inputAffine = nullptr;
    L.concatInput = false;
    L.plan = nullptr;  // rebuilt by finishConvLayers
    c.inputs = {StepRef{c.output, Tensor()}};
    c.op = c.op.substr(conv) + "+avgPool2d";  // the conv now yields what the pool did
    c.output = p.output;
    dead[size_t(j)] = true;
  }
  std::vector<Step> out;
  out.reserve(steps.size() * 2);
  for (size_t i = 0; i < steps.size(); ++i) {
    if (dead[i]) continue;
    if (!pools[i].op.empty()) out.push_back(std::move(pools[i]));
    out.push_back(std::move(steps[i]));
  }
  steps = std::move(out);
}

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
