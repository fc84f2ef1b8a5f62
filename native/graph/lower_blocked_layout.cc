#include <algorithm>

#include "dispatch/ops_blocked.h"
#include "graph/lowering.h"
#include "graph/lowering_util.h"

namespace convnets {
namespace {

namespace blk = ops::blocked;
using ops::Pair;

struct SlotInfo {
  bool blocked = false;
  int64_t channels = -1;  // -1: unknown (never blocked)
  int plainCopy = -1, blockedCopy = -1;  // the slot holding this one reordered, once made
};

class BlockedLayoutPass {
 public:
  BlockedLayoutPass(std::vector<Step>& steps, int& numSlots, int output, const Shape& inputShape, int block)
      : steps_(steps), numSlots_(numSlots), output_(output), B_(block),
        slots_(size_t(numSlots)) {
    if (inputShape.size() == 4) slots_[0].channels = inputShape[1];
  }

  void run() {
    std::vector<Step> in = std::move(steps_);
    steps_.clear();
    for (Step& s : in) {
      lower(s);
      steps_.push_back(std::move(s));
    }
  }

 private:
  std::vector<Step>& steps_;  // the lowered steps, reorders inserted in front of their readers
  int& numSlots_;
  const int output_;
  const int B_;
  std::vector<SlotInfo> slots_;

  SlotInfo& info(int slot) { return slots_[size_t(slot)]; }

  // A new slot holding `from` reordered, made by a Reorder step appended now (in front of the reader).
  int reorder(int from, bool toBlocked) {
    const int slot = numSlots_++;
    slots_.push_back(SlotInfo{toBlocked, slots_[size_t(from)].channels});
    Step r;
    r.kind = StepKind::Reorder;
    r.inputs = {StepRef{from, Tensor()}};
    r.output = slot;
    const int64_t C = slots_[size_t(from)].channels;
    const int B = B_;
    if (toBlocked)
      r.fn = [B](const std::vector<Tensor>& x) { return blk::toBlocked(x[0], B); };
    else
      r.fn = [C](const std::vector<Tensor>& x) { return blk::fromBlocked(x[0], C); };
    steps_.push_back(std::move(r));
    return slot;
  }
  // The operand in NCHW / NCHWc, reordering it once per slot (later readers share the copy).
  void makePlain(StepRef& r) {
    if (r.slot < 0 || !info(r.slot).blocked) return;
    if (info(r.slot).plainCopy < 0) info(r.slot).plainCopy = reorder(r.slot, false);
    r.slot = info(r.slot).plainCopy;
  }
  void makeBlocked(StepRef& r) {
    if (info(r.slot).blocked) return;
    if (info(r.slot).blockedCopy < 0) info(r.slot).blockedCopy = reorder(r.slot, true);
    r.slot = info(r.slot).blockedCopy;
  }
  bool known(const StepRef& r) const { return r.slot >= 0 && slots_[size_t(r.slot)].channels >= 0; }
  bool anyBlocked(const Step& s) const {
    return std::any_of(s.inputs.begin(), s.inputs.end(),
                       [&](const StepRef& r) { return r.slot >= 0 && slots_[size_t(r.slot)].blocked; });
  }
  bool allKnown(const Step& s) const {
    return std::all_of(s.inputs.begin(), s.inputs.end(), [&](const StepRef& r) { return known(r); });
  }
  void setOutput(const Step& s, bool blocked, int64_t channels) {
    SlotInfo& o = info(s.output);
    o.blocked = blocked;
    o.channels = channels;
  }
  // Steps that keep NCHW: their operands become NCHW; the output's channel count is kept when it is known
  // to be the input's (so a later blocked reader can still reorder it).
  void keepPlain(Step& s, int64_t channels = -1) {
    for (StepRef& r : s.inputs) makePlain(r);
    setOutput(s, false, channels);
  }

  void lower(Step& s) {
    const bool isOutput = s.output == output_;
    const int64_t c0 = s.inputs.empty() || s.inputs[0].slot < 0 ? -1 : info(s.inputs[0].slot).channels;
    switch (s.kind) {
      case StepKind::Conv2d: return lowerConv(s, isOutput);
      case StepKind::MaxPool2d:
      case StepKind::AdaptiveAvgPool2d:
      case StepKind::AvgPool2d: return lowerPool(s, isOutput, c0);
      case StepKind::Relu:
        if (isOutput || !anyBlocked(s)) return keepPlain(s, c0);
        s.fn = [](const std::vector<Tensor>& x) { return blk::relu(x[0]); };
        return setOutput(s, true, c0);
      case StepKind::Add: return lowerAdd(s, isOutput, c0);
      case StepKind::BatchNorm: return lowerBatchNorm(s, isOutput, c0);
      case StepKind::Cat: return lowerCat(s, isOutput);
      case StepKind::Dropout:
      case StepKind::To: return keepPlain(s, c0);
      default: return keepPlain(s);
    }
  }

  void lowerConv(Step& s, bool isOutput) {
    ConvLayer* L = s.conv.get();
    // Auto and Blocked alike: every conv the blocked kernels run. BlockedConv picks per layer between the direct
    // NCHWc kernel and Winograd over blocks, and per layer class they measured 0.94–2.1× the NCHW algorithms
    // (bench/RESULTS-chooser.md); leaving one layer in NCHW would cost two reorders around it.
    const bool wanted = L && L->weight.defined() && L->weight.device().isCpu() &&
                        blk::BlockedConv::supports(L->desc).empty();
    // A conv whose input is already blocked, or that starts the blocked region: the kernel reads NCHW too.
    bool parts = L && L->concatInput;
    if (wanted && parts) {
      // The concatenated parts are read in place as whole blocks: every part but the last must fill its blocks.
      for (size_t i = 0; i + 1 < s.inputs.size() && parts; ++i)
        parts = known(s.inputs[i]) && info(s.inputs[i].slot).channels % B_ == 0;
      if (!parts || !allKnown(s)) return keepPlain(s, L->desc.K);
    }
    if (!wanted || (L->residual && !known(s.inputs[1]))) return keepPlain(s, L ? L->desc.K : -1);
    const ConvLayer& layer = *L;
    auto conv = std::make_shared<blk::BlockedConv>(layer.desc, layer.weight, layer.bias, layer.relu, B_);
    if (layer.inputAffine) conv->setInputAffine(*layer.inputAffine);
    const bool outBlocked = !isOutput;
    if (layer.concatInput) {
      std::vector<int64_t> channels;
      for (StepRef& r : s.inputs) {
        makeBlocked(r);
        channels.push_back(info(r.slot).channels);
      }
      s.fn = [conv, channels, outBlocked](const std::vector<Tensor>& x) {
        return conv->runConcat(x, channels, nullptr, outBlocked);
      };
    } else {
      const bool inBlocked = info(s.inputs[0].slot).blocked;
      if (layer.residual) {
        // The addend arrives in the output's layout.
        if (outBlocked)
          makeBlocked(s.inputs[1]);
        else
          makePlain(s.inputs[1]);
      }
      const bool residual = layer.residual;
      s.fn = [conv, inBlocked, residual, outBlocked](const std::vector<Tensor>& x) {
        return conv->run(x[0], inBlocked, residual ? &x[1] : nullptr, outBlocked);
      };
    }
    s.conv = nullptr;  // finishConvLayers must not rebuild it; the weights now live in `conv` only
    s.withRelu = nullptr;
    setOutput(s, outBlocked, layer.desc.K);
  }

  void lowerPool(Step& s, bool isOutput, int64_t c0) {
    const bool fused = !s.before.empty();  // poolBeforePointwiseConv's affine pool over concatenated parts
    // Dilated max pools stay NCHW: only there can a ceil-mode window lie wholly in the padding, whose -inf
    // the blocked kernel (which does not know C) could not keep out of the pad lanes; it refuses them.
    const bool dilated = s.pool && (s.pool->dh != 1 || s.pool->dw != 1);
    if (isOutput || !s.pool || dilated || !anyBlocked(s) || !allKnown(s) || (!fused && !s.unfused()))
      return keepPlain(s, fused ? -1 : c0);
    const PoolWindow w = *s.pool;
    const Pair k{w.kh, w.kw}, st{w.sh, w.sw}, p{w.ph, w.pw}, dil{w.dh, w.dw};
    int64_t channels = 0;
    std::vector<int64_t> parts;
    for (StepRef& r : s.inputs) {
      makeBlocked(r);
      parts.push_back(info(r.slot).channels);
      channels += parts.back();
    }
    std::shared_ptr<const InputAffine> affine = s.affine;
    switch (s.kind) {
      case StepKind::MaxPool2d:
        s.fn = [k, st, p, dil, w](const std::vector<Tensor>& x) { return blk::maxPool2d(x[0], k, st, p, dil, w.ceilMode); };
        break;
      case StepKind::AdaptiveAvgPool2d:
        s.fn = [w](const std::vector<Tensor>& x) { return blk::adaptiveAvgPool2d(x[0], Pair{w.outH, w.outW}); };
        break;
      default:
        if (fused) {
          // poolBeforePointwiseConv's step: cat → BN (+ ReLU) → non-overlapping pool in one pass over the parts.
          s.fn = [k, parts, affine](const std::vector<Tensor>& x) {
            static const std::vector<float> none;
            return blk::affineAvgPool(x, parts, affine ? affine->scale : none, affine ? affine->shift : none,
                                      affine && affine->relu, k);
          };
        } else {
          s.fn = [k, st, p, w](const std::vector<Tensor>& x) { return blk::avgPool2d(x[0], k, st, p, w.ceilMode, w.countIncludePad); };
        }
    }
    setOutput(s, true, channels);
  }

  void lowerAdd(Step& s, bool isOutput, int64_t c0) {
    if (isOutput || !anyBlocked(s) || !allKnown(s) || !s.unfusedButRelu()) return keepPlain(s, c0);
    for (StepRef& r : s.inputs) makeBlocked(r);
    const bool relu = s.relu;
    s.fn = [relu](const std::vector<Tensor>& x) { return blk::add(x[0], x[1], relu); };
    s.withRelu = nullptr;
    setOutput(s, true, c0);
  }

  void lowerBatchNorm(Step& s, bool isOutput, int64_t c0) {
    auto a = std::make_shared<InputAffine>();
    if (isOutput || !anyBlocked(s) || !s.unfusedButRelu() || c0 < 0 || !bnAffine(s, c0, *a)) return keepPlain(s, c0);
    s.fn = [a](const std::vector<Tensor>& x) { return blk::affine(x[0], a->scale, a->shift, a->relu); };
    s.inputs.resize(1);  // the statistics are in `a` now
    s.withRelu = nullptr;
    setOutput(s, true, c0);
  }

  void lowerCat(Step& s, bool isOutput) {
    int64_t channels = 0;
    for (const StepRef& r : s.inputs) channels += known(r) ? info(r.slot).channels : 0;
    if (isOutput || s.concatDim != 1 || !anyBlocked(s) || !allKnown(s) || !s.unfused())
      return keepPlain(s, s.concatDim == 1 && allKnown(s) ? channels : -1);
    std::vector<int64_t> parts;
    for (StepRef& r : s.inputs) {
      makeBlocked(r);
      parts.push_back(info(r.slot).channels);
    }
    s.fn = [parts](const std::vector<Tensor>& x) { return blk::cat(x, parts); };
    setOutput(s, true, channels);
  }
};

}  // namespace

void lowerBlockedLayout(std::vector<Step>& steps, int& numSlots, int output, const Shape& inputShape,
                        int block) {
  BlockedLayoutPass(steps, numSlots, output, inputShape, block).run();
}

}  // namespace convnets
