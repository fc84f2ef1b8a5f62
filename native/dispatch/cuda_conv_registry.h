// The CUDA convolution registry: the same shape as the CPU one (dispatch/conv_registry.h) — an ordered list of
// {name, supports -> "" | reason, workspaceBytes} entries, a chooser ('auto' heuristic, 'find' timing,
// or a name) and a workspace limit — whose kernels live in native/cuda/conv_*.cu and are reached through
// the bridge (dispatch/cuda_ops.h). supports() and workspaceBytes() are pure host logic, so the list can be
// queried on a machine without a GPU; preparing, running and timing need one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/conv_algo.h"
#include "core/conv_desc.h"
#include "core/tensor.h"

namespace convnets {

// Which kernel family an entry runs (the bridge switches on it).
enum class CudaConvKind { Direct, Im2col, ImplicitGemm, Gemm1x1, Winograd2x2_3x3, Winograd4x4_3x3, ImplicitGemmTc };

struct CudaConvAlgo {
  const char* name;
  CudaConvKind kind;
  std::string (*supports)(const ConvDesc& d);
  // Scratch bytes one run needs on the device (besides input, output and prepared weights).
  int64_t (*workspaceBytes)(const ConvDesc& d);
  // Runs on tensor cores: needs a device of compute capability 8.0 or newer (checked where the device is known).
  bool tensorCores = false;
};

// No limit on workspace bytes.
constexpr int64_t kNoWorkspaceLimit = -1;

const std::vector<CudaConvAlgo>& cudaConvAlgorithms();
// The entry named `name`; throws listing the CUDA names.
const CudaConvAlgo& cudaConvAlgorithm(const std::string& name);
// "" when `a` can run `d` within `workspaceLimit` bytes (< 0: no limit), else why not.
std::string cudaConvSupports(const CudaConvAlgo& a, const ConvDesc& d, int64_t workspaceLimit);
// The same on `device`: also "" only when the device has what the entry needs (tensor cores: sm_80+).
std::string cudaConvSupportsOn(const CudaConvAlgo& a, const ConvDesc& d, int64_t workspaceLimit, Device device);
// 'auto': a heuristic from per-layer timings; always a supported algorithm within the limit. tensorCores:
// whether the device has them (sm_80+); without, a reduced precision runs the fp32 algorithms.
const CudaConvAlgo& chooseCudaConvAuto(const ConvDesc& d, int64_t workspaceLimit, bool tensorCores = true);
// Times every supported algorithm within the limit on `device` (random data, CUDA events), fastest
// first; caches the winner per (desc, device, limit). Throws the unavailability reason without a GPU.
std::vector<ConvTiming> findCudaConv(const ConvDesc& d, Device device, int64_t workspaceLimit);
// 'auto', 'find' or a name → the algorithm; a named one that cannot run `d` (or needs more workspace
// than the limit) throws the reason.
const CudaConvAlgo& resolveCudaConvAlgo(const ConvDesc& d, const std::string& algo, Device device,
                                        int64_t workspaceLimit);
void clearCudaConvFindCache();

// How many images one chunk of a workspace-using algorithm processes: as many as fit kChunkBytes, at
// least 1, at most N. The workspace sizes above and the kernels' loops both use it, so they agree.
constexpr int64_t kCudaChunkBytes = int64_t(256) << 20;
int64_t cudaConvImagesPerChunk(int64_t N, int64_t bytesPerImage);
// Winograd output tiles of one image (m = 2 or 4 outputs per tile side).
int64_t cudaWinogradTilesPerImage(const ConvDesc& d, int m);

// One-shot conv on CUDA (input, weight and bias on the same CUDA device; checked by the caller).
Tensor cudaConv2d(const ConvDesc& d, const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu,
                  const std::string& algo, int64_t workspaceLimit);

}  // namespace convnets
