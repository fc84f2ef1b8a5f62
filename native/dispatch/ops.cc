#include "dispatch/ops.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "dispatch/cuda_ops.h"
#include "core/error.h"
#include "core/pool_desc.h"
#include "cpu/activation.h"
#include "cpu/affine_pool.h"
#include "cpu/concat.h"
#include "cpu/lrn.h"
#include "cpu/norm.h"
#include "cpu/pool.h"
#include "cpu/signal.h"
#include "cpu/softmax.h"
#include "cpu/topk.h"

namespace convnets::ops {
namespace {

// Each op dispatches CUDA tensors to dispatch/cuda_ops.h just above this call; what reaches it on another
// device has no kernel there, which it turns into a clear error.
void requireCpuKernel(const char* op, const Tensor& x) {
  CN_CHECK(x.device().isCpu(), op, ": no CUDA kernel (input is on ", x.device().str(), ")");
}

void requireSameDevice(const char* op, const Tensor& x, const char* name, const Tensor& t) {
  CN_CHECK(t.device() == x.device(), op, ": ", name, " is on ", t.device().str(), " but input is on ",
           x.device().str());
}

std::string pairStr(Pair p) { return shapeStr({p[0], p[1]}); }
std::string byStr(Pair p) { return std::to_string(p[0]) + "×" + std::to_string(p[1]); }

void expect4d(const char* op, const Shape& x) {
  CN_CHECK(x.size() == 4, op, ": expected a 4-D input (N, C, H, W), got ", shapeStr(x));
}
void expect4d(const char* op, const Tensor& x) { expect4d(op, x.shape()); }

// Window sizes beyond 2^31 are never meaningful and would overflow the output-size arithmetic.
constexpr int64_t kMaxWindow = int64_t(1) << 31;

void checkPair(const char* op, const char* name, Pair v, bool positive) {
  const int64_t lo = positive ? 1 : 0;
  CN_CHECK(v[0] >= lo && v[1] >= lo, op, ": ", name, " must be ", positive ? "positive" : "non-negative", ", got ",
           pairStr(v));
  CN_CHECK(v[0] < kMaxWindow && v[1] < kMaxWindow, op, ": ", name, " is too large, got ", pairStr(v));
}

int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Checks the window arguments of max/avg pooling (torch's rules) and returns the descriptor.
Pool2dDesc poolDesc(const char* op, const Shape& x, Pair k, Pair s, Pair p, Pair d, bool ceilMode) {
  expect4d(op, x);
  checkPair(op, "kernelSize", k, true);
  checkPair(op, "stride", s, true);
  checkPair(op, "padding", p, false);
  checkPair(op, "dilation", d, true);
  CN_CHECK(p[0] <= k[0] / 2 && p[1] <= k[1] / 2, op, ": padding must be at most half the kernel size, got padding ",
           pairStr(p), " for kernelSize ", pairStr(k));
  Pool2dDesc desc;
  desc.N = x[0], desc.C = x[1], desc.H = x[2], desc.W = x[3];
  desc.OH = poolOutputSize(desc.H, k[0], s[0], p[0], d[0], ceilMode);
  desc.OW = poolOutputSize(desc.W, k[1], s[1], p[1], d[1], ceilMode);
  CN_CHECK(desc.OH > 0 && desc.OW > 0, op, ": output size would be empty (input ", desc.H, "×", desc.W, ", kernel ",
           byStr(k), ", stride ", byStr(s), ", padding ", byStr(p), ", dilation ", byStr(d), ", ceilMode ",
           ceilMode ? "true" : "false", " give ", desc.OH, "×", desc.OW, ")");
  desc.kh = k[0], desc.kw = k[1], desc.sh = s[0], desc.sw = s[1];
  desc.ph = p[0], desc.pw = p[1], desc.dh = d[0], desc.dw = d[1];
  return desc;
}

// Normalises a possibly negative dim against `rank`; the message names the op.
int64_t normDim(const char* op, int64_t dim, int64_t rank, const Shape& shape) {
  CN_CHECK(dim >= -rank && dim < rank, op, ": dim ", dim, " is out of range for a ", rank, "-D input (shape ",
           shapeStr(shape), "); expected a value in [", -rank, ", ", rank - 1, "]");
  return dim < 0 ? dim + rank : dim;
}

int64_t prod(const Shape& s, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to; ++i) n *= s[i];
  return n;
}

Tensor softmaxImpl(const char* op, const Tensor& x, int64_t dim, bool log) {
  CN_CHECK(x.dim() >= 1, op, ": expected an input with at least 1 dimension, got a scalar");
  const size_t d = size_t(normDim(op, dim, x.dim(), x.shape()));
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().isCuda()) {
    cuda_ops::softmax(x, int64_t(d), log, y);
    return y;
  }
  requireCpuKernel(op, x);
  cpu::softmax(x.data(), y.data(), prod(x.shape(), 0, d), x.shape()[d], prod(x.shape(), d + 1, x.shape().size()),
               log);
  return y;
}

}  // namespace

Tensor relu(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().isCuda()) {
    cuda_ops::relu(x, y);
    return y;
  }
  requireCpuKernel("relu", x);
  cpu::relu(x.data(), y.data(), x.numel());
  return y;
}

Tensor add(const Tensor& a, const Tensor& b, bool relu) {
  CN_CHECK(a.shape() == b.shape(), "add: shapes differ: a is ", shapeStr(a.shape()), " and b is ", shapeStr(b.shape()));
  CN_CHECK(a.device() == b.device(), "add: operands are on different devices: ", a.device().str(), " and ",
           b.device().str());
  Tensor y = Tensor::empty(a.shape(), a.device());
  if (a.device().isCuda()) {
    cuda_ops::add(a, b, relu, y);
    return y;
  }
  requireCpuKernel("add", a);
  cpu::add(a.data(), b.data(), y.data(), a.numel(), relu);
  return y;
}

// ---- pooling -------------------------------------------------------------------------------------------

int64_t poolOutputSize(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceilMode) {
  int64_t out = floorDiv(in + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0), s) + 1;
  // Ceil mode may add a window that starts in the right padding; torch drops it (the last window must
  // start inside the input or its left padding).
  if (ceilMode && (out - 1) * s >= in + p) --out;
  return out;
}

Tensor maxPool2d(const Tensor& x, Pair kernel, Pair stride, Pair padding, Pair dilation, bool ceilMode) {
  const Pool2dDesc d = poolDesc("maxPool2d", x.shape(), kernel, stride, padding, dilation, ceilMode);
  Tensor y = Tensor::empty({d.N, d.C, d.OH, d.OW}, x.device());
  if (x.device().isCuda()) {
    cuda_ops::maxPool2d(x, d, y);
    return y;
  }
  requireCpuKernel("maxPool2d", x);
  cpu::maxPool2d(x.data(), y.data(), d);
  return y;
}

Tensor avgPool2d(const Tensor& x, Pair kernel, Pair stride, Pair padding, bool ceilMode, bool countIncludePad) {
  const Pool2dDesc d = poolDesc("avgPool2d", x.shape(), kernel, stride, padding, {1, 1}, ceilMode);
  Tensor y = Tensor::empty({d.N, d.C, d.OH, d.OW}, x.device());
  if (x.device().isCuda()) {
    cuda_ops::avgPool2d(x, d, countIncludePad, y);
    return y;
  }
  requireCpuKernel("avgPool2d", x);
  cpu::avgPool2d(x.data(), y.data(), d, countIncludePad);
  return y;
}

Tensor affineAvgPool(const std::vector<Tensor>& parts, const std::vector<float>& scale,
                     const std::vector<float>& shift, bool relu, Pair window) {
  const char* op = "affineAvgPool";
  CN_CHECK(!parts.empty(), op, ": expected at least one input");
  CN_CHECK(window[0] >= 1 && window[1] >= 1, op, ": window must be positive, got ", window[0], "x", window[1]);
  const Tensor& p0 = parts[0];
  int64_t C = 0;
  for (const Tensor& p : parts) {
    requireCpuKernel(op, p);
    CN_CHECK(p.dim() == 4 && p.size(0) == p0.size(0) && p.size(2) == p0.size(2) && p.size(3) == p0.size(3), op,
             ": inputs must be 4-D and match except in channels, got ", shapeStr(p0.shape()), " and ", shapeStr(p.shape()));
    C += p.size(1);
  }
  CN_CHECK(scale.empty() || (int64_t(scale.size()) == C && shift.size() == scale.size()), op, ": expected ", C,
           " scales and shifts, got ", scale.size(), " and ", shift.size());
  const int64_t N = p0.size(0), H = p0.size(2), W = p0.size(3);
  CN_CHECK(H >= window[0] && W >= window[1], op, ": input ", H, "x", W, " is smaller than the window ", window[0], "x",
           window[1]);
  CpuBuffer table(size_t(N * C) * sizeof(const float*));
  const float** planes = table.as<const float*>();
  for (int64_t n = 0, c = 0; n < N; ++n, c = 0)
    for (const Tensor& p : parts)
      for (int64_t i = 0; i < p.size(1); ++i, ++c) planes[n * C + c] = p.data() + (n * p.size(1) + i) * H * W;
  Tensor y = Tensor::empty({N, C, H / window[0], W / window[1]});
  cpu::affineAvgPool(planes, N, C, H, W, window[0], window[1], scale.empty() ? nullptr : scale.data(),
                     scale.empty() ? nullptr : shift.data(), relu, y.data());
  return y;
}

Tensor adaptiveAvgPool2d(const Tensor& x, Pair outputSize) {
  expect4d("adaptiveAvgPool2d", x);
  checkPair("adaptiveAvgPool2d", "outputSize", outputSize, true);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  CN_CHECK(H > 0 && W > 0, "adaptiveAvgPool2d: input has an empty spatial size ", H, "×", W, " (shape ",
           shapeStr(x.shape()), ")");
  Tensor y = Tensor::empty({N, C, outputSize[0], outputSize[1]}, x.device());
  if (x.device().isCuda()) {
    cuda_ops::adaptiveAvgPool2d(x, y);
    return y;
  }
  requireCpuKernel("adaptiveAvgPool2d", x);
  cpu::adaptiveAvgPool2d(x.data(), y.data(), N * C, H, W, outputSize[0], outputSize[1]);
  return y;
}

// ---- normalisation -------------------------------------------------------------------------------------

Tensor localResponseNorm(const Tensor& x, int64_t size, double alpha, double beta, double k) {
  CN_CHECK(x.dim() >= 3, "localResponseNorm: expected an input with at least 3 dimensions (N, C, ...), got ",
           shapeStr(x.shape()));
  CN_CHECK(size >= 1, "localResponseNorm: size must be positive, got ", size);
  CN_CHECK(std::isfinite(alpha) && std::isfinite(beta) && std::isfinite(k),
           "localResponseNorm: alpha, beta and k must be finite, got ", alpha, ", ", beta, ", ", k);
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().isCuda()) {
    cuda_ops::localResponseNorm(x, size, float(alpha), float(beta), float(k), y);
    return y;
  }
  requireCpuKernel("localResponseNorm", x);
  cpu::localResponseNorm(x.data(), y.data(), x.size(0), x.size(1), prod(x.shape(), 2, x.shape().size()), size,
                         float(alpha), float(beta), float(k));
  return y;
}

Tensor batchNorm(const Tensor& x, const Tensor& runningMean, const Tensor& runningVar, const Tensor& weight,
                 const Tensor& bias, double eps, bool relu) {
  const char* op = "batchNorm";
  CN_CHECK(x.dim() >= 2, op, ": expected an input with at least 2 dimensions (N, C, ...), got ", shapeStr(x.shape()));
  const int64_t C = x.size(1);
  const std::pair<const char*, const Tensor*> params[] = {
      {"runningMean", &runningMean}, {"runningVar", &runningVar}, {"weight", &weight}, {"bias", &bias}};
  for (const auto& [name, t] : params) {
    if (!t->defined()) {
      CN_CHECK(t == &weight || t == &bias, op, ": ", name, " is required");
      continue;
    }
    CN_CHECK(t->numel() == C, op, ": ", name, " has ", t->numel(), " elements but input has ", C, " channels");
    requireSameDevice(op, x, name, *t);
  }
  CN_CHECK(eps >= 0 && std::isfinite(eps), op, ": eps must be a non-negative number, got ", eps);
  Tensor y = Tensor::empty(x.shape(), x.device());
  // On CUDA the statistics stay on the device: the kernel folds them per channel itself.
  if (x.device().isCuda()) {
    cuda_ops::batchNorm(x, runningMean, runningVar, weight, bias, float(eps), relu, y);
    return y;
  }
  requireCpuKernel(op, x);
  // Fold the statistics into one scale and shift per channel (computed in double, stored as float).
  CpuBuffer folded(size_t(2 * C) * sizeof(float));
  float* scale = folded.as<float>();
  float* shift = scale + C;
  for (int64_t c = 0; c < C; ++c) {
    const double w = weight.defined() ? weight.data()[c] : 1.0, b = bias.defined() ? bias.data()[c] : 0.0;
    const double a = w / std::sqrt(double(runningVar.data()[c]) + eps);
    scale[c] = float(a);
    shift[c] = float(b - double(runningMean.data()[c]) * a);
  }
  cpu::batchNormInference(x.data(), y.data(), x.size(0), C, prod(x.shape(), 2, x.shape().size()), scale, shift, relu);
  return y;
}

// ---- activations, softmax, concatenation ---------------------------------------------------------------

Tensor dropout(const Tensor& x, double p, uint64_t seed) {
  CN_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be between 0 and 1, got ", p);
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().isCuda()) {
    cuda_ops::dropout(x, float(p), seed, y);
    return y;
  }
  requireCpuKernel("dropout", x);
  cpu::dropout(x.data(), y.data(), x.numel(), float(p), seed);
  return y;
}

Tensor softmax(const Tensor& x, int64_t dim) { return softmaxImpl("softmax", x, dim, false); }
Tensor logSoftmax(const Tensor& x, int64_t dim) { return softmaxImpl("logSoftmax", x, dim, true); }

Shape poolOutputShape(const char* op, const Shape& x, Pair kernel, Pair stride, Pair padding, Pair dilation,
                      bool ceilMode) {
  const Pool2dDesc d = poolDesc(op, x, kernel, stride, padding, dilation, ceilMode);
  return {d.N, d.C, d.OH, d.OW};
}

// argmax / topk: CPU kernels; a CUDA input is copied to the host and the results copied back (these
// read a classifier's few thousand scores, where the copy costs microseconds).
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  CN_CHECK(x.dim() >= 1, "argmax: expected an input with at least 1 dimension, got a scalar");
  const size_t d = size_t(normDim("argmax", dim, x.dim(), x.shape()));
  CN_CHECK(x.shape()[d] > 0, "argmax: dimension ", d, " of ", shapeStr(x.shape()), " is empty");
  CN_CHECK(x.shape()[d] <= (int64_t(1) << 24), "argmax: dimension ", d, " has ", x.shape()[d],
           " elements; float32 indices are exact only up to 16777216");
  Tensor host = x.device().isCpu() ? x : x.to(Device());
  Shape outShape = x.shape();
  if (keepdim) outShape[d] = 1;
  else outShape.erase(outShape.begin() + std::ptrdiff_t(d));
  Tensor y = Tensor::empty(outShape);
  cpu::argmax(host.data(), y.data(), prod(x.shape(), 0, d), x.shape()[d], prod(x.shape(), d + 1, x.shape().size()));
  return x.device().isCpu() ? y : y.to(x.device());
}

std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  CN_CHECK(x.dim() >= 1, "topk: expected an input with at least 1 dimension, got a scalar");
  const size_t d = size_t(normDim("topk", dim, x.dim(), x.shape()));
  CN_CHECK(k >= 0 && k <= x.shape()[d], "topk: k must be between 0 and ", x.shape()[d], " (the size of dimension ",
           d, " of ", shapeStr(x.shape()), "), got ", k);
  CN_CHECK(x.shape()[d] <= (int64_t(1) << 24), "topk: dimension ", d, " has ", x.shape()[d],
           " elements; float32 indices are exact only up to 16777216");
  Tensor host = x.device().isCpu() ? x : x.to(Device());
  Shape outShape = x.shape();
  outShape[d] = k;
  Tensor values = Tensor::empty(outShape), indices = Tensor::empty(outShape);
  cpu::topk(host.data(), values.data(), indices.data(), prod(x.shape(), 0, d), x.shape()[d],
            prod(x.shape(), d + 1, x.shape().size()), k, largest, sorted);
  if (x.device().isCpu()) return {values, indices};
  return {values.to(x.device()), indices.to(x.device())};
}

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  CN_CHECK(!xs.empty(), "cat: expected a non-empty list of tensors");
  const Tensor& first = xs[0];
  CN_CHECK(first.dim() >= 1, "cat: tensors[0] is a scalar; cat needs at least 1 dimension");
  const size_t d = size_t(normDim("cat", dim, first.dim(), first.shape()));
  Shape outShape = first.shape();
  outShape[d] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = xs[i].shape();
    bool match = s.size() == first.shape().size();
    for (size_t j = 0; match && j < s.size(); ++j) match = j == d || s[j] == first.shape()[j];
    CN_CHECK(match, "cat: tensors[", i, "] has shape ", shapeStr(s), " but tensors[0] has shape ",
             shapeStr(first.shape()), "; they must match except in dimension ", d);
    CN_CHECK(xs[i].device() == first.device(), "cat: tensors[", i, "] is on ", xs[i].device().str(),
             " but tensors[0] is on ", first.device().str());
    outShape[d] += s[d];
  }
  Tensor y = Tensor::empty(outShape, first.device());
  if (first.device().isCuda()) {
    cuda_ops::cat(xs, int64_t(d), y);
    return y;
  }
  requireCpuKernel("cat", first);
  const int64_t inner = prod(outShape, d + 1, outShape.size());
  std::vector<const float*> srcs;
  std::vector<int64_t> rowLens;
  for (const Tensor& t : xs) {
    srcs.push_back(t.data());
    rowLens.push_back(t.shape()[d] * inner);
  }
  cpu::concat(srcs, rowLens, prod(outShape, 0, d), y.data());
  return y;
}

// ---- the maths of convolution ------------------------------------------------------------------------------

SignalMode parseSignalMode(const std::string& mode, const char* op) {
  if (mode == "full") return SignalMode::Full;
  if (mode == "same") return SignalMode::Same;
  if (mode == "valid") return SignalMode::Valid;
  fail(op, ": mode must be 'full', 'same' or 'valid', got '", mode, "'");
}

namespace {

// For one axis of length m correlated with a kernel of length n: the first lag and the output length.
// 'same' keeps m outputs, centred as numpy / scipy do: numpy's correlate and every convolution start at
// lag -floor(n/2); scipy's correlate2d starts at lag -floor((n-1)/2) (the two differ for even n).
struct Lags {
  int64_t first, count;
};
Lags lagsFor(SignalMode mode, int64_t m, int64_t n, bool sameStartsLate) {
  switch (mode) {
    case SignalMode::Full: return {-(n - 1), m + n - 1};
    case SignalMode::Same: return {sameStartsLate ? -((n - 1) / 2) : -(n / 2), m};
    case SignalMode::Valid: break;
  }
  return {0, m - n + 1};
}

}  // namespace

std::vector<double> convolve1d(const double* a, int64_t na, const double* v, int64_t nv, SignalMode mode,
                               bool correlate) {
  const char* op = correlate ? "signal.correlate" : "signal.convolve";
  CN_CHECK(na > 0, op, ": a is empty");
  CN_CHECK(nv > 0, op, ": v is empty");
  // numpy slides the shorter array over the longer one. Convolution commutes, so swapping changes
  // nothing; numpy.correlate with the longer array second swaps and then reverses its output.
  const bool swapped = nv > na;
  const double* big = swapped ? v : a;
  const int64_t nBig = swapped ? nv : na, nSmall = swapped ? na : nv;
  std::vector<double> kernel(swapped ? a : v, (swapped ? a : v) + nSmall);
  if (!correlate) std::reverse(kernel.begin(), kernel.end());  // convolution = correlation with a flipped kernel
  const Lags l = lagsFor(mode, nBig, nSmall, false);
  std::vector<double> out(size_t(l.count));
  cpu::correlate1d(big, nBig, kernel.data(), nSmall, l.first, out.data(), l.count);
  if (correlate && swapped) std::reverse(out.begin(), out.end());
  return out;
}

Array2d convolve2d(Array2dView in1, Array2dView in2, SignalMode mode, bool correlate) {
  const char* op = correlate ? "signal.correlate2d" : "signal.convolve2d";
  CN_CHECK(in1.rows > 0 && in1.cols > 0, op, ": in1 is empty (", in1.rows, "×", in1.cols, ")");
  CN_CHECK(in2.rows > 0 && in2.cols > 0, op, ": in2 is empty (", in2.rows, "×", in2.cols, ")");
  // scipy: in2 is the kernel, except in 'valid' mode, where the larger array is the image (and
  // correlate2d then reverses its output in both axes).
  bool swapped = false;
  if (mode == SignalMode::Valid) {
    const bool ok1 = in1.rows >= in2.rows && in1.cols >= in2.cols;
    const bool ok2 = in2.rows >= in1.rows && in2.cols >= in1.cols;
    CN_CHECK(ok1 || ok2, op, ": in 'valid' mode one input must be at least as large as the other in every dimension, got ",
             in1.rows, "×", in1.cols, " and ", in2.rows, "×", in2.cols);
    swapped = !ok1;
  }
  const Array2dView img = swapped ? in2 : in1, ker = swapped ? in1 : in2;
  std::vector<double> kernel(ker.data, ker.data + ker.rows * ker.cols);
  if (!correlate) std::reverse(kernel.begin(), kernel.end());  // flips both axes of a row-major array
  const Lags r = lagsFor(mode, img.rows, ker.rows, correlate), c = lagsFor(mode, img.cols, ker.cols, correlate);
  Array2d out;
  out.rows = r.count, out.cols = c.count;
  out.data.resize(size_t(r.count * c.count));
  cpu::correlate2d(img.data, img.rows, img.cols, kernel.data(), ker.rows, ker.cols, r.first, c.first, out.data.data(),
                   r.count, c.count);
  if (correlate && swapped) std::reverse(out.data.begin(), out.data.end());
  return out;
}

}  // namespace convnets::ops

// ---- linear / matmul (GEMM, cpu/gemm.h) ----
#include "core/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/linear.h"

namespace convnets::ops {

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu, Precision precision) {
  CN_CHECK(input.dim() == 2, "linear: expected a 2-D input [N, in_features], got ", shapeStr(input.shape()));
  CN_CHECK(weight.dim() == 2, "linear: expected a 2-D weight [out_features, in_features], got ",
           shapeStr(weight.shape()));
  CN_CHECK(input.size(1) == weight.size(1), "linear: input has ", input.size(1), " features but weight expects ",
           weight.size(1));
  CN_CHECK(!bias.defined() || (bias.dim() == 1 && bias.numel() == weight.size(0)), "linear: bias has shape ",
           shapeStr(bias.shape()), " but weight has ", weight.size(0), " output features");
  CN_CHECK(input.device() == weight.device() && (!bias.defined() || bias.device() == weight.device()),
           "linear: operands are on different devices");
  const int64_t N = input.size(0), in = input.size(1), out = weight.size(0);
  Tensor y = Tensor::empty({N, out}, input.device());
  if (input.device().isCuda()) {
    if (precision == Precision::Fp32)
      cuda_ops::linear(input, weight, bias, relu, y);
    else
      cuda_ops::linearTc(input, weight, bias, relu, precision, y);
    return y;
  }
  requireCpuKernel("linear", input);
  requireFp32OnCpu(precision, "linear");
  cpu::linear(activeIsa(), input.data(), weight.data(), bias.defined() ? bias.data() : nullptr, relu, N, in, out,
              y.data());
  return y;
}

Tensor linearPack(const Tensor& weight, Precision precision) {
  CN_CHECK(weight.dim() == 2, "linear: expected a 2-D weight [out_features, in_features], got ",
           shapeStr(weight.shape()));
  CN_CHECK(weight.device().isCuda(), "linear: packing for tensor cores needs a CUDA weight, got ",
           weight.device().str());
  return cuda_ops::linearPackTc(weight, precision);
}

Tensor linearPacked(const Tensor& input, const Tensor& packedWeight, const Shape& weightShape, const Tensor& bias,
                    bool relu, Precision precision) {
  CN_CHECK(input.dim() == 2 && input.size(1) == weightShape[1], "linear: expected an input [N, ", weightShape[1],
           "], got ", shapeStr(input.shape()));
  CN_CHECK(input.device() == packedWeight.device(), "linear: input is on ", input.device().str(),
           " but the packed weight is on ", packedWeight.device().str());
  Tensor y = Tensor::empty({input.size(0), weightShape[0]}, input.device());
  cuda_ops::linearPackedTc(input, packedWeight, weightShape[0], bias, relu, precision, y);
  return y;
}

Tensor matmul(const Tensor& a, const Tensor& b, Precision precision) {
  CN_CHECK((a.dim() == 2 && b.dim() == 2) || (a.dim() == 3 && b.dim() == 3),
           "matmul: expected two 2-D or two 3-D tensors, got ", shapeStr(a.shape()), " and ", shapeStr(b.shape()));
  CN_CHECK(a.size(-1) == b.size(-2), "matmul: cannot multiply ", shapeStr(a.shape()), " by ", shapeStr(b.shape()),
           " (inner dimensions ", a.size(-1), " and ", b.size(-2), " differ)");
  CN_CHECK(a.dim() == 2 || a.size(0) == b.size(0), "matmul: batch sizes differ: ", a.size(0), " and ", b.size(0));
  CN_CHECK(a.device() == b.device(), "matmul: operands are on different devices: ", a.device().str(), " and ",
           b.device().str());
  const int64_t batch = a.dim() == 3 ? a.size(0) : 1, M = a.size(-2), K = a.size(-1), N = b.size(-1);
  Tensor y = Tensor::empty(a.dim() == 3 ? Shape{batch, M, N} : Shape{M, N}, a.device());
  if (a.device().isCuda()) {
    if (precision == Precision::Fp32)
      cuda_ops::matmul(a, b, y);
    else
      cuda_ops::matmulTc(a, b, precision, y);
    return y;
  }
  requireCpuKernel("matmul", a);
  requireFp32OnCpu(precision, "matmul");
  for (int64_t i = 0; i < batch; ++i)
    cpu::sgemm(M, N, K, a.data() + i * M * K, K, 1, b.data() + i * K * N, N, 1, y.data() + i * M * N, N);
  return y;
}

}  // namespace convnets::ops
