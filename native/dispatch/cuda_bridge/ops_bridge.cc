// dispatch/cuda_ops.h on CUDA: turns checked Tensors into kernel arguments (kernels.h) and queues the kernel
// on the device's stream. Shapes were validated by the caller; the CN_CHECKs here guard the bridge's own
// assumptions (device, rank) so a wiring mistake is an error, not a wild pointer.
#include "dispatch/cuda_ops.h"

#include <vector>

#include "core/error.h"
#include "cuda/kernels.h"
#include "cuda/stream.h"
#include "dispatch/cuda_bridge/conv_params.h"

namespace convnets::cuda_ops {
namespace {

// The device of the op, after checking every operand is on it.
cuda::DeviceScope scopeFor(const char* op, const Tensor& y, std::initializer_list<const Tensor*> inputs) {
  CN_CHECK(y.defined() && y.device().isCuda(), op, ": output is not on a CUDA device");
  for (const Tensor* t : inputs)
    CN_CHECK(!t->defined() || t->device() == y.device(), op, ": operand on ", t->device().str(), " but output on ",
             y.device().str());
  return cuda::DeviceScope(y.device().index);
}

const float* ptrOrNull(const Tensor& t) { return t.defined() ? t.data() : nullptr; }

void checkPool(const char* op, const Tensor& x, const Pool2dDesc& d, const Tensor& y) {
  CN_CHECK(x.dim() == 4 && y.dim() == 4 && x.shape() == Shape({d.N, d.C, d.H, d.W}) &&
               y.shape() == Shape({d.N, d.C, d.OH, d.OW}),
           op, ": tensors do not match the pooling descriptor");
}

// Elements after dimension d (the inner size of a [outer, dim, inner] view).
int64_t innerSize(const Tensor& t, int64_t d) {
  int64_t n = 1;
  for (int64_t i = d + 1; i < t.dim(); ++i) n *= t.size(i);
  return n;
}

}  // namespace

void relu(const Tensor& x, Tensor& y) {
  auto sc = scopeFor("relu", y, {&x});
  cuda::relu(x.data(), y.data(), x.numel(), sc.stream);
  cuda::afterOp(sc);
}

void add(const Tensor& a, const Tensor& b, bool relu, Tensor& y) {
  auto sc = scopeFor("add", y, {&a, &b});
  cuda::add(a.data(), b.data(), y.data(), y.numel(), relu, sc.stream);
  cuda::afterOp(sc);
}

void fill(Tensor& y, float value) {
  auto sc = scopeFor("fill", y, {});
  cuda::fill(y.data(), value, y.numel(), sc.stream);
  cuda::afterOp(sc);
}

void dropout(const Tensor& x, float p, uint64_t seed, Tensor& y) {
  auto sc = scopeFor("dropout", y, {&x});
  cuda::dropout(x.data(), y.data(), x.numel(), p, seed, sc.stream);
  cuda::afterOp(sc);
}

void maxPool2d(const Tensor& x, const Pool2dDesc& d, Tensor& y) {
  auto sc = scopeFor("maxPool2d", y, {&x});
  checkPool("maxPool2d", x, d, y);
  cuda::maxPool2d(x.data(), y.data(), d, sc.stream);
  cuda::afterOp(sc);
}

void avgPool2d(const Tensor& x, const Pool2dDesc& d, bool countIncludePad, Tensor& y) {
  auto sc = scopeFor("avgPool2d", y, {&x});
  checkPool("avgPool2d", x, d, y);
  cuda::avgPool2d(x.data(), y.data(), d, countIncludePad, sc.stream);
  cuda::afterOp(sc);
}

void adaptiveAvgPool2d(const Tensor& x, Tensor& y) {
  auto sc = scopeFor("adaptiveAvgPool2d", y, {&x});
  CN_CHECK(x.dim() == 4 && y.dim() == 4, "adaptiveAvgPool2d: expected 4-D tensors");
  cuda::adaptiveAvgPool2d(x.data(), y.data(), x.size(0) * x.size(1), x.size(2), x.size(3), y.size(2), y.size(3),
                          sc.stream);
  cuda::afterOp(sc);
}

void localResponseNorm(const Tensor& x, int64_t size, float alpha, float beta, float k, Tensor& y) {
  auto sc = scopeFor("localResponseNorm", y, {&x});
  CN_CHECK(x.dim() >= 2, "localResponseNorm: expected at least 2 dimensions");
  cuda::localResponseNorm(x.data(), y.data(), x.size(0), x.size(1), innerSize(x, 1), size, alpha, beta, k, sc.stream);
  cuda::afterOp(sc);
}

void batchNorm(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight, const Tensor& bias,
               float eps, bool relu, Tensor& y) {
  auto sc = scopeFor("batchNorm", y, {&x, &mean, &var, &weight, &bias});
  CN_CHECK(x.dim() >= 2, "batchNorm: expected at least 2 dimensions");
  cuda::batchNormInference(x.data(), y.data(), x.size(0), x.size(1), innerSize(x, 1), mean.data(), var.data(),
                           ptrOrNull(weight), ptrOrNull(bias), eps, relu, sc.stream);
  cuda::afterOp(sc);
}

void softmax(const Tensor& x, int64_t dim, bool log, Tensor& y) {
  auto sc = scopeFor(log ? "logSoftmax" : "softmax", y, {&x});
  CN_CHECK(dim >= 0 && dim < x.dim(), "softmax: dimension ", dim, " out of range");
  const int64_t D = x.size(dim), inner = innerSize(x, dim);
  const int64_t outer = D * inner == 0 ? 0 : x.numel() / (D * inner);
  cuda::softmax(x.data(), y.data(), outer, D, inner, log, sc.stream);
  cuda::afterOp(sc);
}

void cat(const std::vector<Tensor>& xs, int64_t dim, Tensor& y) {
  auto sc = scopeFor("cat", y, {});
  CN_CHECK(dim >= 0 && dim < y.dim(), "cat: dimension ", dim, " out of range");
  const int64_t inner = innerSize(y, dim);
  const int64_t rowLen = y.size(dim) * inner;
  const int64_t outer = rowLen == 0 ? 0 : y.numel() / rowLen;
  std::vector<const float*> srcs;
  std::vector<int64_t> cols;
  for (const Tensor& t : xs) {
    CN_CHECK(t.device() == y.device(), "cat: operand on ", t.device().str(), " but output on ", y.device().str());
    srcs.push_back(t.data());
    cols.push_back(t.size(dim) * inner);
  }
  cuda::concat(srcs.data(), cols.data(), int(srcs.size()), outer, y.data(), sc.stream);
  cuda::afterOp(sc);
}

void linear(const Tensor& x, const Tensor& w, const Tensor& bias, bool relu, Tensor& y) {
  auto sc = scopeFor("linear", y, {&x, &w, &bias});
  CN_CHECK(w.dim() == 2 && x.dim() >= 1, "linear: expected a 2-D weight");
  cuda::Gemm g;
  g.transB = true;  // y = x · W^T, W stored [N, K]
  g.K = w.size(1);
  g.N = w.size(0);
  g.M = g.K == 0 ? y.numel() / (g.N ? g.N : 1) : x.numel() / g.K;
  g.A = x.data();
  g.lda = g.K;
  g.B = w.data();
  g.ldb = g.K;
  g.C = y.data();
  g.ldc = g.N;
  g.bias = ptrOrNull(bias);
  g.biasMode = bias.defined() ? cuda::Bias::PerCol : cuda::Bias::None;
  g.relu = relu;
  cuda::sgemm(g, sc.stream);
  cuda::afterOp(sc);
}

void matmul(const Tensor& a, const Tensor& b, Tensor& y) {
  auto sc = scopeFor("matmul", y, {&a, &b});
  CN_CHECK(a.dim() >= 2 && b.dim() >= 2 && y.dim() >= 2, "matmul: expected at least 2-D operands");
  cuda::Gemm g;
  g.M = a.size(-2);
  g.K = a.size(-1);
  g.N = b.size(-1);
  CN_CHECK(b.size(-2) == g.K, "matmul: inner dimensions differ");
  g.batch = g.M * g.N == 0 ? 0 : y.numel() / (g.M * g.N);
  g.A = a.data();
  g.lda = g.K;
  g.strideA = a.dim() == 2 ? 0 : g.M * g.K;  // likewise a 2-D a
  g.B = b.data();
  g.ldb = g.N;
  g.strideB = b.dim() == 2 ? 0 : g.K * g.N;  // a 2-D b is shared by every batch
  g.C = y.data();
  g.ldc = g.N;
  g.strideC = g.M * g.N;
  cuda::sgemm(g, sc.stream);
  cuda::afterOp(sc);
}

void conv2dDirect(const ConvDesc& d, const Tensor& x, const Tensor& w, const Tensor& bias, bool relu, Tensor& y) {
  auto sc = scopeFor("conv2d", y, {&x, &w, &bias});
  CN_CHECK(x.shape() == Shape({d.N, d.C, d.H, d.W}) && w.shape() == d.weightShape() && y.shape() == d.outputShape(),
           "conv2d: tensors do not match the convolution descriptor");
  cuda::conv2dDirect(x.data(), w.data(), ptrOrNull(bias), y.data(), conv2dOf(d), relu, sc.stream);
  cuda::afterOp(sc);
}

}  // namespace convnets::cuda_ops
