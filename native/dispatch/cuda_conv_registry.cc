// The CUDA convolution registry (dispatch/cuda_conv_registry.h): host logic only. Kernels: native/cuda/conv_*.cu,
// reached through dispatch/cuda_ops.h (stubbed by dispatch/cuda_ops_off.cc in a build without nvcc).
#include "dispatch/cuda_conv_registry.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "core/cuda_api.h"
#include "dispatch/cuda_ops.h"
#include "core/error.h"
#include "core/random.h"

namespace convnets {
namespace {

std::string kernelStr(const ConvDesc& d) { return std::to_string(d.R) + "x" + std::to_string(d.S); }

// ---- supports() and workspaceBytes() of each entry --------------------------------------------------

std::string anyConv(const ConvDesc&) { return ""; }
int64_t noWorkspace(const ConvDesc&) { return 0; }

// im2col: columns [C·R·S, OH·OW] per image (all groups), a chunk of images at a time.
int64_t im2colWorkspace(const ConvDesc& d) {
  const int64_t perImage = d.C * d.R * d.S * d.outH * d.outW * int64_t(sizeof(float));
  return cudaConvImagesPerChunk(d.N, perImage) * perImage;
}

std::string gemm1x1Supports(const ConvDesc& d) {
  if (d.R != 1 || d.S != 1) return "gemm_1x1 needs a 1x1 kernel, got " + kernelStr(d);
  if (d.padH || d.padW || d.padBottom || d.padRight) return "gemm_1x1 needs padding 0";
  return "";
}
// Stride 1 reads the input in place; a strided 1×1 first subsamples a chunk of images to [C, OH·OW].
int64_t gemm1x1Workspace(const ConvDesc& d) {
  if (d.strideH == 1 && d.strideW == 1) return 0;
  const int64_t perImage = d.C * d.outH * d.outW * int64_t(sizeof(float));
  return cudaConvImagesPerChunk(d.N, perImage) * perImage;
}

std::string winogradSupports(const char* name, const ConvDesc& d) {
  const std::string n = name;
  if (d.R != 3 || d.S != 3) return n + " needs a 3x3 kernel, got " + kernelStr(d);
  if (d.strideH != 1 || d.strideW != 1) return n + " needs stride 1";
  if (d.dilationH != 1 || d.dilationW != 1) return n + " needs dilation 1";
  return "";
}
std::string winograd2Supports(const ConvDesc& d) { return winogradSupports("winograd_2x2_3x3", d); }
std::string winograd4Supports(const ConvDesc& d) { return winogradSupports("winograd_4x4_3x3", d); }
// Transformed inputs V [α², C, tiles] and products M [α², K, tiles] for a chunk of images.
int64_t winogradWorkspace(const ConvDesc& d, int m) {
  const int64_t a2 = int64_t(m + 2) * (m + 2);
  const int64_t perImage = a2 * (d.C + d.K) * cudaWinogradTilesPerImage(d, m) * int64_t(sizeof(float));
  return cudaConvImagesPerChunk(d.N, perImage) * perImage;
}
int64_t winograd2Workspace(const ConvDesc& d) { return winogradWorkspace(d, 2); }
int64_t winograd4Workspace(const ConvDesc& d) { return winogradWorkspace(d, 4); }

// Tensor cores: the reduced precisions only (fp32 stays exact on the CUDA cores); any shape and groups.
std::string tcSupports(const ConvDesc& d) {
  if (d.precision == Precision::Fp32)
    return "implicit_gemm_tc runs on tensor cores: it needs precision 'tf32', 'bf16' or 'fp16' (fp32 stays exact "
           "on the CUDA cores)";
  return "";
}
// Partial sums of a k split (core/precision.h's tcSplitFor, the kernel's own choice).
int64_t tcWorkspace(const ConvDesc& d) {
  if (d.precision == Precision::Fp32) return 0;
  const TcSplit sp = tcSplitFor(d.Kg(), d.N * d.outH * d.outW, d.Cg() * d.R * d.S, d.groups, true,
                                tcKTile(d.precision));
  return sp.splits > 1 ? sp.splits * d.K * d.N * d.outH * d.outW * int64_t(sizeof(float)) : 0;
}

// Compute capability major·10 + minor of each device, asked once (cudaGetDeviceProperties takes ms).
int computeCapability(Device device) {
  static std::mutex mu;
  static std::map<int, int> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(device.index);
  if (it != cache.end()) return it->second;
  const cudart::DeviceInfo info = cudart::deviceInfo(device.index);
  return cache[device.index] = info.major * 10 + info.minor;
}

std::string withUnit(int64_t bytes) { return std::to_string(bytes) + " bytes"; }

// ---- find cache -------------------------------------------------------------------------------------

std::string findKey(const ConvDesc& d, Device device, int64_t limit) {
  return d.key() + " " + device.str() + " ws" + std::to_string(limit);
}
struct FindCache {
  std::mutex mu;
  std::map<std::string, std::string> winners;  // bounded: cleared when it reaches kMax entries
  static constexpr size_t kMax = 4096;
};
FindCache& findCache() {
  static FindCache* c = new FindCache();
  return *c;
}

Device checkedCudaDevice(Device device, const char* op) {
  CN_CHECK(device.isCuda(), op, ": expected a CUDA device, got ", device.str());
  const cudart::Availability av = cudart::availability();
  CN_CHECK(av.available, op, ": CUDA is not available: ", av.reason);
  CN_CHECK(device.index >= 0 && device.index < cudart::deviceCount(), op, ": ", device.str(), " does not exist (",
           cudart::deviceCount(), " CUDA device(s))");
  return device;
}

}  // namespace

int64_t cudaConvImagesPerChunk(int64_t N, int64_t bytesPerImage) {
  if (N <= 1 || bytesPerImage <= 0) return std::max<int64_t>(N, 1);
  return std::clamp<int64_t>(kCudaChunkBytes / bytesPerImage, 1, N);
}

int64_t cudaWinogradTilesPerImage(const ConvDesc& d, int m) {
  return ((d.outH + m - 1) / m) * ((d.outW + m - 1) / m);
}

const std::vector<CudaConvAlgo>& cudaConvAlgorithms() {
  // Order = listing order and the tie-break of 'find'. direct first: it runs everything (the GPU
  // reference). Groups: every entry supports them (im2col, implicit_gemm, gemm_1x1 and Winograd run one
  // GEMM per group, so depthwise works but is slow there; 'auto' sends thin groups to direct).
  static const std::vector<CudaConvAlgo> algos = {
      {"direct", CudaConvKind::Direct, anyConv, noWorkspace},
      {"im2col", CudaConvKind::Im2col, anyConv, im2colWorkspace},
      {"implicit_gemm", CudaConvKind::ImplicitGemm, anyConv, noWorkspace},
      {"gemm_1x1", CudaConvKind::Gemm1x1, gemm1x1Supports, gemm1x1Workspace},
      {"winograd_2x2_3x3", CudaConvKind::Winograd2x2_3x3, winograd2Supports, winograd2Workspace},
      {"winograd_4x4_3x3", CudaConvKind::Winograd4x4_3x3, winograd4Supports, winograd4Workspace},
      {"implicit_gemm_tc", CudaConvKind::ImplicitGemmTc, tcSupports, tcWorkspace, /*tensorCores=*/true},
  };
  return algos;
}

const CudaConvAlgo& cudaConvAlgorithm(const std::string& name) {
  std::string known;
  for (const CudaConvAlgo& a : cudaConvAlgorithms()) {
    if (name == a.name) return a;
    known += std::string(known.empty() ? "" : ", ") + a.name;
  }
  fail("conv2d: unknown CUDA algorithm '", name, "' (expected 'auto', 'find' or one of: ", known, ")");
}

std::string cudaConvSupports(const CudaConvAlgo& a, const ConvDesc& d, int64_t workspaceLimit) {
  std::string why = a.supports(d);
  if (!why.empty()) return why;
  const int64_t ws = a.workspaceBytes(d);
  if (workspaceLimit >= 0 && ws > workspaceLimit)
    return std::string(a.name) + " needs " + withUnit(ws) + " of workspace, more than the limit of " +
           withUnit(workspaceLimit);
  return "";
}

std::string cudaConvSupportsOn(const CudaConvAlgo& a, const ConvDesc& d, int64_t workspaceLimit, Device device) {
  std::string why = cudaConvSupports(a, d, workspaceLimit);
  if (!why.empty() || !a.tensorCores) return why;
  const int cc = computeCapability(device);
  if (cc < 80)
    return std::string(a.name) + " needs tensor cores of sm_80 or newer; " + device.str() + " is sm_" +
           std::to_string(cc);
  return "";
}

// Measured on an H200 (scripts/gpu-check.sh, every distinct conv layer of the five networks at batch 1
// and 32, each algorithm timed; bench/RESULTS-gpu.md). 'find' remains the measured alternative.
const CudaConvAlgo& chooseCudaConvAuto(const ConvDesc& d, int64_t workspaceLimit, bool tensorCores) {
  auto ok = [&](const char* name) { return cudaConvSupports(cudaConvAlgorithm(name), d, workspaceLimit).empty(); };
  // A reduced precision asks for tensor cores: every layer but the thin-group ones (below) runs on them.
  if (tensorCores && d.precision != Precision::Fp32 && d.Kg() >= 8 && d.Cg() >= 2 && ok("implicit_gemm_tc"))
    return cudaConvAlgorithm("implicit_gemm_tc");
  const bool k3s1 = d.R == 3 && d.S == 3 && d.strideH == 1 && d.strideW == 1 && d.dilationH == 1 && d.dilationW == 1;
  // 1×1 without padding is a GEMM on the input as it lies (stride 1) or on a subsampled copy: no index
  // arithmetic at all in the inner loop (fastest of the four on all 71 1×1 layers measured).
  if (d.R == 1 && d.S == 1 && ok("gemm_1x1")) return cudaConvAlgorithm("gemm_1x1");
  // Depthwise and other thin groups: a 128×128 GEMM tile would be mostly empty; one thread per output wins.
  if (d.Kg() < 8 || d.Cg() < 2) return cudaConvAlgorithm("direct");
  // 3×3 stride 1: Winograd from 16 input channels (GoogLeNet's 16→32 and 24→64 branches: 2× faster than
  // implicit GEMM at batch 1 and 32; VGG's 3-channel first layer stays with implicit GEMM, 1.5× faster).
  // F(4×4) does 2.25× fewer multiplies than F(2×2) but has a quarter as many tiles: with fewer than 128
  // 4×4 output tiles in all the GPU is not filled and F(2×2) wins (batch 1: 28² maps 1.6-1.7× faster
  // with F(2×2), 14² and 7² 3×; from 128 tiles F(4×4) wins: 13² at batch 32 by 1.3×, 112² at batch 1 1.6×).
  if (k3s1 && d.Cg() >= 16 && d.Kg() >= 32) {
    const int64_t tiles4 = d.N * ((d.outH + 3) / 4) * ((d.outW + 3) / 4);
    if (tiles4 >= 128 && ok("winograd_4x4_3x3")) return cudaConvAlgorithm("winograd_4x4_3x3");
    if (ok("winograd_2x2_3x3")) return cudaConvAlgorithm("winograd_2x2_3x3");
    if (ok("winograd_4x4_3x3")) return cudaConvAlgorithm("winograd_4x4_3x3");
  }
  // Deep reductions (C·R·S ≥ 512: strided 3×3, 5×5): im2col, whose SGEMM splits K when the output tiles
  // are too few to fill the GPU — ResNet's 3×3/2 layers at batch 1: 0.04-0.05 ms against 0.2-0.8 ms for
  // implicit GEMM, which has no split; AlexNet's 5×5: 5× at batch 1, 1.15× at batch 32.
  if (d.Cg() * d.R * d.S >= 512 && ok("im2col")) return cudaConvAlgorithm("im2col");
  // Everything else (stems: 3-channel 7×7/2, 11×11/4, 3×3): implicit GEMM — im2col's GEMM without writing
  // the columns (1.1-2.3× faster than im2col there), and no workspace, so it also serves any limit.
  return cudaConvAlgorithm("implicit_gemm");
}

std::vector<ConvTiming> findCudaConv(const ConvDesc& d, Device device, int64_t workspaceLimit) {
  checkedCudaDevice(device, "findConvAlgorithm");
  Tensor x = Tensor::empty({d.N, d.C, d.H, d.W});
  Tensor w = Tensor::empty(d.weightShape());
  Tensor b = Tensor::empty({d.K});
  fillUniform(x, 1, -1.0f, 1.0f);
  fillUniform(w, 2, -0.1f, 0.1f);
  fillUniform(b, 3, -0.1f, 0.1f);
  const Tensor xd = x.to(device), wd = w.to(device), bd = b.to(device);
  Tensor y = Tensor::empty(d.outputShape(), device);
  std::vector<ConvTiming> out;
  for (const CudaConvAlgo& a : cudaConvAlgorithms()) {
    if (!cudaConvSupportsOn(a, d, workspaceLimit, device).empty()) continue;
    const int64_t ws = a.workspaceBytes(d);
    const Tensor p = cuda_ops::convPrepare(a.kind, d, wd);
    out.push_back({a.name, cuda_ops::convTimeMs(a.kind, d, xd, p, bd, ws, y), ws});
  }
  CN_CHECK(!out.empty(), "findConvAlgorithm: no CUDA algorithm fits the workspace limit of ", withUnit(workspaceLimit));
  std::stable_sort(out.begin(), out.end(), [](const ConvTiming& p, const ConvTiming& q) { return p.timeMs < q.timeMs; });
  FindCache& c = findCache();
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.winners.size() >= FindCache::kMax) c.winners.clear();
  c.winners[findKey(d, device, workspaceLimit)] = out.front().algo;
  return out;
}

const CudaConvAlgo& resolveCudaConvAlgo(const ConvDesc& d, const std::string& algo, Device device,
                                        int64_t workspaceLimit) {
  if (algo == "auto" || algo.empty())
    return chooseCudaConvAuto(d, workspaceLimit, d.precision != Precision::Fp32 && computeCapability(device) >= 80);
  if (algo == "find") {
    {
      FindCache& c = findCache();
      std::lock_guard<std::mutex> lock(c.mu);
      auto it = c.winners.find(findKey(d, device, workspaceLimit));
      if (it != c.winners.end()) return cudaConvAlgorithm(it->second);
    }
    return cudaConvAlgorithm(findCudaConv(d, device, workspaceLimit).front().algo);
  }
  const CudaConvAlgo& a = cudaConvAlgorithm(algo);
  std::string why = cudaConvSupportsOn(a, d, workspaceLimit, device);
  CN_CHECK(why.empty(), "conv2d: algorithm '", algo, "' cannot run this convolution on CUDA: ", why);
  return a;
}

void clearCudaConvFindCache() {
  FindCache& c = findCache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.winners.clear();
}

Tensor cudaConv2d(const ConvDesc& d, const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu,
                  const std::string& algo, int64_t workspaceLimit) {
  const CudaConvAlgo& a = resolveCudaConvAlgo(d, algo, input.device(), workspaceLimit);
  Tensor y = Tensor::empty(d.outputShape(), input.device());
  if (y.numel() == 0) return y;
  const Tensor p = cuda_ops::convPrepare(a.kind, d, weight);
  cuda_ops::convRun(a.kind, d, input, p, bias, relu, a.workspaceBytes(d), y);
  return y;
}

}  // namespace convnets
