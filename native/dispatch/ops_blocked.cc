// The Tensor-level ops on channel-blocked activations (ops_blocked.h), BlockedConv aside
// (blocked_conv.cc): check the blocked shape, allocate the output, call the cpu/blocked_* kernel.
#include "dispatch/ops_blocked.h"

#include "core/cpu_features.h"
#include "core/error.h"
#include "core/pool_desc.h"
#include "cpu/blocked_affine_pool.h"
#include "cpu/blocked_eltwise.h"
#include "cpu/blocked_layout.h"
#include "cpu/blocked_pool.h"

namespace convnets::ops::blocked {
namespace {

std::string pairStr(Pair p) { return shapeStr({p[0], p[1]}); }

// A blocked activation: CPU, 5-D [N, CB, H, W, B] with B 8 or 16. Returns B.
int checkBlocked(const char* op, const char* name, const Tensor& x) {
  CN_CHECK(x.defined(), op, ": ", name, " is an undefined tensor");
  CN_CHECK(x.device().isCpu(), op, ": ", name, " must be a CPU tensor (blocked layouts are CPU only), got one on ",
           x.device().str());
  CN_CHECK(x.dim() == 5, op, ": expected ", name, " to be a 5-D blocked tensor (N, C/B, H, W, B), got ",
           shapeStr(x.shape()));
  const int64_t B = x.size(4);
  CN_CHECK(B == 8 || B == 16, op, ": ", name, "'s channel block (last dimension) must be 8 or 16, got ", B,
           " (shape ", shapeStr(x.shape()), ")");
  return int(B);
}

// C real channels fill exactly the tensor's blocks.
void checkChannels(const char* op, const char* what, int64_t C, const Tensor& x) {
  const int64_t B = x.size(4);
  CN_CHECK(C >= 1 && channelBlocks(C, int(B)) == x.size(1), op, ": ", what, " ", C, " does not match ", x.size(1),
           " channel blocks of ", B, " (shape ", shapeStr(x.shape()), "; expected ", (x.size(1) - 1) * B + 1,
           " to ", x.size(1) * B, " channels)");
}

// The NCHW pool window over the blocked input; C is not in the shape and not needed by the checks.
Shape nchwOf(const Tensor& xb) { return {xb.size(0), xb.size(1) * xb.size(4), xb.size(2), xb.size(3)}; }

// The blocked pools check their windows with the NCHW pools' own rules and words, on the NCHW shape the
// blocked input stands for, and take the real channel count from the blocks (all lanes pooled: pad lanes
// stay 0 in every kernel).
Pool2dDesc blockedPoolDesc(const char* op, const Tensor& xb, Pair k, Pair s, Pair p, Pair d, bool ceilMode) {
  const Shape out = poolOutputShape(op, nchwOf(xb), k, s, p, d, ceilMode);
  Pool2dDesc desc;
  desc.N = xb.size(0), desc.C = xb.size(1) * xb.size(4), desc.H = xb.size(2), desc.W = xb.size(3);
  desc.OH = out[2], desc.OW = out[3];
  desc.kh = k[0], desc.kw = k[1], desc.sh = s[0], desc.sw = s[1];
  desc.ph = p[0], desc.pw = p[1], desc.dh = d[0], desc.dw = d[1];
  return desc;
}

// Whether every output along one axis has a window tap inside the input. Not so only with dilation (taps
// jumping over a small input in ceil mode); torch gives -inf there, which would also land in the pad lanes,
// and the blocked op cannot tell those apart without C, so it refuses (plans keep such pools in NCHW).
bool everyWindowHits(int64_t out, int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  for (int64_t o = 0; o < out; ++o) {
    bool hit = false;
    for (int64_t i = 0; i < k && !hit; ++i) hit = o * s - p + i * d >= 0 && o * s - p + i * d < in;
    if (!hit) return false;
  }
  return true;
}

Tensor blockedLike(const Tensor& xb, int64_t OH, int64_t OW) {
  return Tensor::empty({xb.size(0), xb.size(1), OH, OW, xb.size(4)});
}

}  // namespace

int channelBlock() { return activeIsa() == Isa::Avx512 ? 16 : 8; }

Tensor toBlocked(const Tensor& x, int B) {
  const char* op = "toBlocked";
  CN_CHECK(x.defined(), op, ": input is an undefined tensor");
  CN_CHECK(x.device().isCpu(), op, ": input must be a CPU tensor (blocked layouts are CPU only), got one on ",
           x.device().str());
  CN_CHECK(x.dim() == 4, op, ": expected a 4-D input (N, C, H, W), got ", shapeStr(x.shape()));
  CN_CHECK(B == 8 || B == 16, op, ": block must be 8 or 16, got ", B);
  CN_CHECK(x.size(1) >= 1, op, ": input has no channels (shape ", shapeStr(x.shape()), ")");
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  Tensor y = Tensor::empty({N, channelBlocks(C, B), H, W, B});
  cpu::toBlocked(x.data(), y.data(), N, C, H, W, B);
  return y;
}

Tensor fromBlocked(const Tensor& xb, int64_t C) {
  const char* op = "fromBlocked";
  const int B = checkBlocked(op, "input", xb);
  checkChannels(op, "channels", C, xb);
  const int64_t N = xb.size(0), H = xb.size(2), W = xb.size(3);
  Tensor y = Tensor::empty({N, C, H, W});
  cpu::fromBlocked(xb.data(), y.data(), N, C, H, W, B);
  return y;
}

Tensor maxPool2d(const Tensor& xb, Pair kernel, Pair stride, Pair padding, Pair dilation, bool ceilMode) {
  const int B = checkBlocked("maxPool2d", "input", xb);
  const Pool2dDesc d = blockedPoolDesc("maxPool2d", xb, kernel, stride, padding, dilation, ceilMode);
  CN_CHECK(everyWindowHits(d.OH, d.H, d.kh, d.sh, d.ph, d.dh) && everyWindowHits(d.OW, d.W, d.kw, d.sw, d.pw, d.dw),
           "maxPool2d: a window lies wholly in the padding (dilation ", pairStr(dilation), " over a ", d.H, "×", d.W,
           " input); blocked tensors cannot hold its -inf output, use the NCHW op");
  Tensor y = blockedLike(xb, d.OH, d.OW);
  cpu::maxPool2dBlocked(xb.data(), y.data(), d, B);
  return y;
}

Tensor avgPool2d(const Tensor& xb, Pair kernel, Pair stride, Pair padding, bool ceilMode, bool countIncludePad) {
  const int B = checkBlocked("avgPool2d", "input", xb);
  const Pool2dDesc d = blockedPoolDesc("avgPool2d", xb, kernel, stride, padding, {1, 1}, ceilMode);
  Tensor y = blockedLike(xb, d.OH, d.OW);
  cpu::avgPool2dBlocked(xb.data(), y.data(), d, countIncludePad, B);
  return y;
}

Tensor adaptiveAvgPool2d(const Tensor& xb, Pair outputSize) {
  const char* op = "adaptiveAvgPool2d";
  const int B = checkBlocked(op, "input", xb);
  CN_CHECK(outputSize[0] >= 1 && outputSize[1] >= 1, op, ": outputSize must be positive, got ", pairStr(outputSize));
  CN_CHECK(xb.size(2) > 0 && xb.size(3) > 0, op, ": input has an empty spatial size ", xb.size(2), "×", xb.size(3),
           " (shape ", shapeStr(xb.shape()), ")");
  Pool2dDesc d;
  d.N = xb.size(0), d.C = xb.size(1) * B, d.H = xb.size(2), d.W = xb.size(3);
  d.OH = outputSize[0], d.OW = outputSize[1];
  Tensor y = blockedLike(xb, d.OH, d.OW);
  cpu::adaptiveAvgPool2dBlocked(xb.data(), y.data(), d, B);
  return y;
}

Tensor add(const Tensor& a, const Tensor& b, bool relu) {
  checkBlocked("add", "a", a);
  checkBlocked("add", "b", b);
  CN_CHECK(a.shape() == b.shape(), "add: shapes differ: a is ", shapeStr(a.shape()), " and b is ", shapeStr(b.shape()));
  Tensor y = Tensor::empty(a.shape());
  cpu::addBlocked(a.data(), b.data(), y.data(), a.numel(), relu);
  return y;
}

Tensor relu(const Tensor& xb) {
  checkBlocked("relu", "input", xb);
  Tensor y = Tensor::empty(xb.shape());
  cpu::reluBlocked(xb.data(), y.data(), xb.numel());
  return y;
}

Tensor affine(const Tensor& xb, const std::vector<float>& scale, const std::vector<float>& shift, bool relu) {
  const char* op = "affine";
  const int B = checkBlocked(op, "input", xb);
  const int64_t C = int64_t(scale.size());
  CN_CHECK(shift.size() == scale.size(), op, ": scale has ", scale.size(), " values but shift has ", shift.size());
  checkChannels(op, "scale length", C, xb);
  Tensor y = Tensor::empty(xb.shape());
  cpu::affineBlocked(xb.data(), y.data(), xb.size(0), C, xb.size(2), xb.size(3), scale.data(), shift.data(), relu, B);
  return y;
}

Tensor cat(const std::vector<Tensor>& parts, const std::vector<int64_t>& channels) {
  const char* op = "cat";
  CN_CHECK(!parts.empty(), op, ": expected at least one part");
  CN_CHECK(channels.size() == parts.size(), op, ": ", parts.size(), " parts but ", channels.size(), " channel counts");
  std::vector<const float*> data;
  int64_t C = 0;
  int B = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string name = "parts[" + std::to_string(i) + "]";
    const int Bi = checkBlocked(op, name.c_str(), parts[i]);
    const std::string what = "channels[" + std::to_string(i) + "]";
    checkChannels(op, what.c_str(), channels[i], parts[i]);
    const Tensor& p0 = parts[0];
    CN_CHECK(i == 0 || (parts[i].size(0) == p0.size(0) && parts[i].size(2) == p0.size(2) &&
                        parts[i].size(3) == p0.size(3) && Bi == B),
             op, ": ", name, " has shape ", shapeStr(parts[i].shape()), " but parts[0] has shape ",
             shapeStr(p0.shape()), "; they must match except in channel blocks");
    B = Bi;
    C += channels[i];
    data.push_back(parts[i].data());
  }
  const int64_t N = parts[0].size(0), H = parts[0].size(2), W = parts[0].size(3);
  Tensor y = Tensor::empty({N, channelBlocks(C, B), H, W, B});
  cpu::catBlocked(data.data(), channels.data(), int64_t(parts.size()), y.data(), N, H, W, B);
  return y;
}

Tensor affineAvgPool(const std::vector<Tensor>& parts, const std::vector<int64_t>& channels,
                     const std::vector<float>& scale, const std::vector<float>& shift, bool relu, Pair window) {
  const char* op = "affineAvgPool";
  CN_CHECK(!parts.empty() && channels.size() == parts.size(), op, ": ", parts.size(), " parts but ",
           channels.size(), " channel counts");
  CN_CHECK(window[0] >= 1 && window[1] >= 1, op, ": window must be positive, got ", pairStr(window));
  const int B = checkBlocked(op, "parts[0]", parts[0]);
  int64_t C = 0;
  bool aligned = true;  // every part but the last fills its blocks: the parts' blocks are the output's
  for (size_t i = 0; i < parts.size(); ++i) {
    C += channels[i];
    aligned = aligned && (i + 1 == parts.size() || channels[i] % B == 0);
  }
  CN_CHECK(scale.empty() || (int64_t(scale.size()) == C && shift.size() == scale.size()), op, ": scale and shift need ",
           C, " values, got ", scale.size(), " and ", shift.size());
  // Read in place when aligned; otherwise the one concatenated tensor (cat checks the parts).
  const std::vector<Tensor> srcs = aligned ? parts : std::vector<Tensor>{cat(parts, channels)};
  const std::vector<int64_t> srcChannels = aligned ? channels : std::vector<int64_t>{C};
  const int64_t N = parts[0].size(0), H = parts[0].size(2), W = parts[0].size(3);
  for (size_t i = 0; i < srcs.size(); ++i) {
    const std::string name = "parts[" + std::to_string(i) + "]";
    checkChannels(op, name.c_str(), srcChannels[i], srcs[i]);
    CN_CHECK(checkBlocked(op, name.c_str(), srcs[i]) == B && srcs[i].size(0) == N && srcs[i].size(2) == H &&
                 srcs[i].size(3) == W,
             op, ": ", name, " has shape ", shapeStr(srcs[i].shape()), " but parts[0] has shape ",
             shapeStr(parts[0].shape()), "; they must match except in channel blocks");
  }
  CN_CHECK(H >= window[0] && W >= window[1], op, ": window ", pairStr(window), " is larger than the input ",
           pairStr({H, W}));
  std::vector<const float*> blocks;
  blocks.reserve(size_t(N * channelBlocks(C, B)));
  for (int64_t n = 0; n < N; ++n)
    for (const Tensor& t : srcs)
      for (int64_t b = 0; b < t.size(1); ++b) blocks.push_back(t.data() + (n * t.size(1) + b) * H * W * B);
  Tensor y = Tensor::empty({N, channelBlocks(C, B), H / window[0], W / window[1], B});
  cpu::affineAvgPoolBlocked(blocks.data(), N, C, H, W, window[0], window[1], scale.empty() ? nullptr : scale.data(),
                            scale.empty() ? nullptr : shift.data(), relu, y.data(), B);
  return y;
}

}  // namespace convnets::ops::blocked
