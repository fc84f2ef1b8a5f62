#include "dispatch/ops.h"
#include "graph/lowering.h"
#include "graph/lowering_util.h"

namespace convnets {

// conv 1×1 → avgPool2d (window = stride, no padding): both are linear, the conv acts on each pixel and the
// pool on each channel, so pool(conv(f(x))) = conv(pool(f(x))), f being the conv's input affine map (BN,
// ReLU) if any. The pool step takes over the conv's inputs (the concatenated parts) and its affine map; the
// conv then reads the pooled planes. Not exact in float: window sums and channel sums change order.
void poolBeforePointwiseConv(std::vector<Step>& steps, int output) {
  std::vector<int> count = readers(steps, output);
  std::vector<bool> dead(steps.size(), false);
  std::vector<Step> pools(steps.size());  // pools[i]: the pool step to run right before conv i (no fn: none)
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
    if (p.kind != StepKind::AvgPool2d || !p.unfused() || !p.pool || p.inputs.size() != 1 ||
        p.inputs[0].slot != c.output)
      continue;
    const PoolWindow& w = *p.pool;
    // Floor mode drops the same trailing rows either way; ceil mode's partial windows are left alone.
    if (w.ph || w.pw || w.sh != w.kh || w.sw != w.kw || d.H < w.kh || d.W < w.kw ||
        (w.ceilMode && (d.H % w.kh || d.W % w.kw)))
      continue;
    Step& pool = pools[i];
    pool.kind = StepKind::AvgPool2d;
    pool.before = std::move(c.before);  // "cat+batchNorm+avgPool2d": what it now reads and applies
    pool.inputs = c.inputs;
    pool.output = c.output;  // free: the pool step was its only reader
    const std::shared_ptr<const InputAffine> affine = L.inputAffine;
    pool.pool = p.pool;
    pool.affine = affine;
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
    c.before.clear();
    c.after.push_back(Fusion::AvgPool);  // "conv2d+avgPool2d": the conv now yields what the pool did
    c.output = p.output;
    dead[size_t(j)] = true;
  }
  std::vector<Step> out;
  out.reserve(steps.size() * 2);
  for (size_t i = 0; i < steps.size(); ++i) {
    if (dead[i]) continue;
    if (pools[i].fn) out.push_back(std::move(pools[i]));
    out.push_back(std::move(steps[i]));
  }
  steps = std::move(out);
}

}  // namespace convnets
