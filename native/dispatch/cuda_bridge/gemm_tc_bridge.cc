// dispatch/cuda_ops.h's tensor-core linear and matmul: operands packed (rounded to the precision, rows padded to
// 32) into scratch from the device's caching pool, then gemm_tc.cu's kernel; partial sums of a k split in
// scratch too. A compiled plan packs a constant weight once (linearPackTc) and runs linearPackedTc.
#include "dispatch/cuda_ops.h"
#include "core/error.h"
#include "cuda/conv_kernels.h"
#include "cuda/stream.h"

namespace convnets::cuda_ops {
namespace {

Precision tcOf(Precision p, const char* op) {
  CN_CHECK(p != Precision::Fp32, op, ": the tensor-core path needs precision 'tf32', 'bf16' or 'fp16'");
  return p;
}

// Scratch bytes from the pool, as a float tensor (freed back to the pool when the op returns: later users
// are queued behind this op on the same stream).
Tensor scratch(int64_t bytes, Device device) {
  return bytes > 0 ? Tensor::empty({(bytes + 3) / 4}, device) : Tensor();
}
float* ptr(const Tensor& t) { return t.defined() ? t.data() : nullptr; }

// Packs `pk` of src into fresh scratch.
Tensor packed(const float* src, const cuda::TcPack& pk, Precision prec, Device device, cudaStream_t s) {
  Tensor t = scratch(cuda::tcPackedBytes(pk, prec), device);
  if (t.defined()) cuda::tcPackRows(src, pk, t.data(), prec, s);
  return t;
}

void runGemm(const Tensor& A, const Tensor& B, const cuda::TcGemm& g, Precision prec, Device device,
             cudaStream_t s) {
  Tensor ws = scratch(cuda::tcGemmWorkspaceBytes(g, prec), device);
  cuda::gemmTc(A.defined() ? A.data() : nullptr, B.defined() ? B.data() : nullptr, g, prec, ptr(ws), s);
}

}  // namespace

Tensor linearPackTc(const Tensor& w, Precision precision) {
  CN_CHECK(w.defined() && w.device().isCuda() && w.dim() == 2, "linear: expected a 2-D weight on a CUDA device");
  const Precision prec = tcOf(precision, "linear");
  cuda::DeviceScope sc(w.device().index);
  const cuda::TcPack pk{1, w.size(0), w.size(1), 0, w.size(1), 1};
  Tensor p = packed(w.data(), pk, prec, w.device(), sc.stream);
  cuda::afterOp(sc);
  return p.defined() ? p : Tensor::empty({0}, w.device());
}

void linearPackedTc(const Tensor& x, const Tensor& wPacked, int64_t outFeatures, const Tensor& bias, bool relu,
                    Precision precision, Tensor& y) {
  CN_CHECK(x.defined() && x.device().isCuda() && x.dim() == 2 && y.device() == x.device() &&
               wPacked.device() == x.device() && (!bias.defined() || bias.device() == x.device()),
           "linear: operands are not all on one CUDA device");
  const Precision prec = tcOf(precision, "linear");
  cuda::DeviceScope sc(x.device().index);
  const int64_t N = x.size(0), K = x.size(1);
  Tensor xp = packed(x.data(), cuda::TcPack{1, N, K, 0, K, 1}, prec, x.device(), sc.stream);
  cuda::TcGemm g;
  g.M = outFeatures;
  g.N = N;
  g.K = K;
  g.C = y.data();
  g.sm = 1;  // y[n][m]
  g.sn = outFeatures;
  g.bias = bias.defined() ? bias.data() : nullptr;
  g.relu = relu;
  runGemm(wPacked, xp, g, prec, x.device(), sc.stream);
  cuda::afterOp(sc);
}

void linearTc(const Tensor& x, const Tensor& w, const Tensor& bias, bool relu, Precision precision, Tensor& y) {
  const Tensor wp = linearPackTc(w, precision);
  linearPackedTc(x, wp, w.size(0), bias, relu, precision, y);
}

void matmulTc(const Tensor& a, const Tensor& b, Precision precision, Tensor& y) {
  CN_CHECK(a.device().isCuda() && b.device() == a.device() && y.device() == a.device(),
           "matmul: operands are not all on one CUDA device");
  const Precision prec = tcOf(precision, "matmul");
  cuda::DeviceScope sc(a.device().index);
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  const int64_t batch = a.dim() == 3 ? a.size(0) : 1;
  const bool sharedB = b.dim() == 2;
  // A rows = a's rows; B rows = b's columns (bᵀ: element (n, k) at b[k·N + n]).
  Tensor ap = packed(a.data(), cuda::TcPack{batch, M, K, M * K, K, 1}, prec, a.device(), sc.stream);
  Tensor bp = packed(b.data(), cuda::TcPack{sharedB ? 1 : batch, N, K, K * N, 1, N}, prec, a.device(), sc.stream);
  cuda::TcGemm g;
  g.M = M;
  g.N = N;
  g.K = K;
  g.batch = batch;
  g.broadcastB = sharedB;
  g.C = y.data();
  g.strideC = M * N;
  g.sm = N;
  g.sn = 1;
  runGemm(ap, bp, g, prec, a.device(), sc.stream);
  cuda::afterOp(sc);
}

}  // namespace convnets::cuda_ops
