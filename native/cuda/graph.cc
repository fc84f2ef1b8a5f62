// core/cuda_api.h's Graph: a compiled plan's kernels captured once and replayed (cudaStreamBeginCapture on a
// stream of its own, so other threads' work on the device is not recorded; relaxed mode, so the caching
// allocator may still cudaMalloc while capturing). Memory allocated while allocating or capturing comes
// from the graph's private pool (cuda/graph_pool.h) and stays with the graph until it is destroyed.
#include <cuda_runtime.h>

#include <memory>

#include "core/cuda_api.h"
#include "core/error.h"
#include "cuda/check.h"
#include "cuda/graph_pool.h"
#include "cuda/stream.h"

namespace convnets::cudart {
namespace {

class CudaGraph final : public Graph {
 public:
  explicit CudaGraph(int device) {
    pool_.device = device;
    CN_CUDA(cudaSetDevice(device));
    CN_CUDA(cudaStreamCreateWithFlags(&capture_, cudaStreamNonBlocking));
  }
  ~CudaGraph() override {
    // Destructors cannot throw: failures here (a context already lost) leak the handles.
    if (exec_) (void)cudaGraphExecDestroy(exec_);
    if (graph_) (void)cudaGraphDestroy(graph_);
    if (capture_) (void)cudaStreamDestroy(capture_);
    cuda::releasePrivatePool(pool_);
  }

  void allocate(const std::function<void()>& fn) override {
    cuda::PrivatePoolScope scope(&pool_, nullptr);
    fn();
  }

  void capture(const std::function<void()>& fn) override {
    CN_CHECK(!exec_, "cuda graph: already captured");
    CN_CUDA(cudaSetDevice(pool_.device));
    // The capture stream starts after everything queued so far on the device's stream (the uncaptured
    // warm-up run, the input's copy): a graph never depends on work outside it.
    CN_CUDA(cudaStreamSynchronize(cuda::streamFor(pool_.device)));
    {
      cuda::PrivatePoolScope scope(&pool_, capture_);
      cuda::StreamOverride over(pool_.device, capture_);
      CN_CUDA(cudaStreamBeginCapture(capture_, cudaStreamCaptureModeRelaxed));
      try {
        fn();
      } catch (...) {
        cudaGraph_t broken = nullptr;
        (void)cudaStreamEndCapture(capture_, &broken);
        if (broken) (void)cudaGraphDestroy(broken);
        (void)cudaGetLastError();
        throw;
      }
      CN_CUDA(cudaStreamEndCapture(capture_, &graph_));
    }
    CN_CUDA(cudaGraphInstantiate(&exec_, graph_, 0));
  }

  void launch() override {
    CN_CHECK(exec_, "cuda graph: nothing captured");
    CN_CUDA(cudaSetDevice(pool_.device));
    CN_CUDA(cudaGraphLaunch(exec_, cuda::streamFor(pool_.device)));
  }

 private:
  cuda::PrivatePool pool_;
  cudaStream_t capture_ = nullptr;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace

std::unique_ptr<Graph> newGraph(int device) {
  CN_CHECK(availability().available, "cuda graph: CUDA is not available: ", availability().reason);
  CN_CHECK(device >= 0 && device < deviceCount(), "cuda graph: CUDA device ", device, " does not exist");
  return std::make_unique<CudaGraph>(device);
}

}  // namespace convnets::cudart
