// The CUDA convolution registry: the same shape as the CPU one (dispatch/conv_registry.h over
// core/conv_algo.h) — an ordered list of {name, supports, workspace, prepare, launch, caps} entries, a
// chooser ('auto' heuristic, 'find' timing, or a name), one find cache and a workspace limit. Each entry
// points at its own prepare and launch (dispatch/cuda_bridge/conv_bridge.cc over native/cuda/conv_*.cu).
// supports() and the workspace are pure host logic, so the list can be queried on a machine without a GPU;
// preparing, running and timing need one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/conv_algo.h"
#include "core/conv_desc.h"
#include "core/tensor.h"

struct CUstream_st;  // cudaStream_t is CUstream_st* (cuda_runtime.h); named here without the CUDA headers

namespace convnets {

// One run's operands, checked and on one device, with its scratch from the device's pool.
struct CudaConvLaunch {
  const ConvDesc& d;
  const Tensor& x;
  const Tensor& prepared;
  const Tensor& bias;  // undefined: none
  bool relu;
  float* workspace;        // cudaConvWorkspaceBytes(entry, d) bytes, null when 0
  int64_t imagesPerChunk;  // a chunked entry processes this many images per pass over its workspace
  Tensor& y;
  CUstream_st* stream;
};

struct CudaConvAlgo {
  const char* name;
  // "" when the algorithm can run `d`, else the reason.
  std::string (*supports)(const ConvDesc& d);
  // Scratch bytes: per image when `chunked` (the run goes over the batch a chunk of images at a time and the
  // workspace holds one chunk: cudaConvWorkspaceBytes), else for the whole run.
  int64_t (*scratchBytes)(const ConvDesc& d);
  bool chunked;
  // The weights in the layout launch reads: `w` itself (shared storage) when none is needed.
  Tensor (*prepare)(const ConvDesc& d, const Tensor& w);
  // Queues the kernels of one run on a.stream.
  void (*launch)(const CudaConvLaunch& a);
  ConvCaps caps;
};

// No limit on workspace bytes.
constexpr int64_t kNoWorkspaceLimit = -1;

const std::vector<CudaConvAlgo>& cudaConvAlgorithms();
// The entry named `name`; throws listing the CUDA names.
const CudaConvAlgo& cudaConvAlgorithm(const std::string& name);

// How many images one chunk of a chunked entry processes: as many as fit kCudaChunkBytes, at least 1, at
// most N. The workspace size and the kernels' loops both come from it, so they agree.
constexpr int64_t kCudaChunkBytes = int64_t(256) << 20;
int64_t cudaConvImagesPerChunk(const CudaConvAlgo& a, const ConvDesc& d);
// Scratch bytes one run of `a` on `d` needs on the device (besides input, output and prepared weights).
int64_t cudaConvWorkspaceBytes(const CudaConvAlgo& a, const ConvDesc& d);
// Winograd output tiles of one image (m = 2 or 4 outputs per tile side).
int64_t cudaWinogradTilesPerImage(const ConvDesc& d, int m);

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

// One-shot conv on CUDA (input, weight and bias on the same CUDA device; checked by the caller).
Tensor cudaConv2d(const ConvDesc& d, const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu,
                  const std::string& algo, int64_t workspaceLimit);

}  // namespace convnets
