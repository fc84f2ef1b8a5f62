#include "dispatch/conv_plan.h"

#include <cstring>

#include "core/error.h"
#include "dispatch/conv_registry.h"
#include "dispatch/cuda_conv_registry.h"
#include "dispatch/cuda_ops.h"
#include "dispatch/prepared_cache.h"

namespace convnets {

namespace {

void checkOperands(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  CN_CHECK(input.device() == weight.device(), "conv2d: input is on ", input.device().str(), " but weight is on ",
           weight.device().str());
  CN_CHECK(!bias.defined() || bias.device() == weight.device(), "conv2d: bias is on ", bias.device().str(),
           " but weight is on ", weight.device().str());
  CN_CHECK(!bias.defined() || bias.dim() == 1, "conv2d: bias must be 1-D, got ", shapeStr(bias.shape()));
}

}  // namespace

ConvPlan::ConvPlan(const ConvDesc& d, const Tensor& weight, const Tensor& bias, const std::string& algo, bool relu,
                   int64_t workspaceLimit)
    : desc_(d), algo_(nullptr), workspaceLimit_(workspaceLimit), bias_(bias), relu_(relu) {
  CN_CHECK(weight.shape() == d.weightShape(), "conv2d: weight shape ", shapeStr(weight.shape()),
           " does not match the plan's ", shapeStr(d.weightShape()));
  CN_CHECK(!bias.defined() || bias.device() == weight.device(), "conv2d: bias is on ", bias.device().str(),
           " but weight is on ", weight.device().str());
  if (weight.device().isCuda()) {
    cudaAlgo_ = &resolveCudaConvAlgo(d, algo, weight.device(), workspaceLimit);
    cudaPrepared_ = cudaAlgo_->prepare(d, weight);
    cudaPreparedOwn_ = cudaPrepared_.storage() != weight.storage();
    return;
  }
  CN_CHECK(weight.device().isCpu(), "conv2d: weight is on ", weight.device().str(), ", which has no kernel yet");
  requireFp32OnCpu(d.precision, "conv2d");
  algo_ = &resolveConvAlgo(d, algo);
  algo_->prepare(d, weight.data(), activeIsa(), prepared_);
}

void ConvPlan::setInputAffine(InputAffine a) {
  CN_CHECK(algo_ && algo_->caps.inputAffine, "conv2d: algorithm '", algoName(), "' cannot apply an input affine map");
  CN_CHECK(int64_t(a.scale.size()) == desc_.C && int64_t(a.shift.size()) == desc_.C, "conv2d: input affine map has ",
           a.scale.size(), " scales and ", a.shift.size(), " shifts for ", desc_.C, " input channels");
  prepared_.inputAffine = std::make_shared<const InputAffine>(std::move(a));
}

void ConvPlan::setResidual() {
  CN_CHECK(algo_ && algo_->caps.residual, "conv2d: algorithm '", algoName(), "' cannot add a residual in its store");
  prepared_.accumulateOutput = true;
}

Tensor ConvPlan::runResidual(const Tensor& input, const Tensor& residual, const ConvOptions& opts) const {
  CN_CHECK(prepared_.accumulateOutput, "conv2d: the plan was not made for a residual add");
  ConvDesc d(input.shape(), desc_.weightShape(), opts, bias_.defined() ? bias_.numel() : -1);
  CN_CHECK(input.device().isCpu() && residual.device().isCpu(), "conv2d: a residual add runs on the CPU only");
  CN_CHECK(residual.shape() == d.outputShape(), "add: shapes differ: ", shapeStr(d.outputShape()), " and ",
           shapeStr(residual.shape()));
  std::string why = algo_->supports(d);
  CN_CHECK(why.empty(), "conv2d: algorithm '", algo_->name, "' cannot run this convolution: ", why);
  // The residual's storage becomes the output when nothing else holds it (a compiled plan hands over an
  // intermediate at its last use); otherwise the output starts as a copy of it.
  Tensor y;
  if (residual.storage().use_count() == 1) {
    y = residual;
    y.storage()->noteWrite();  // its contents change in place: caches derived from them are stale
  } else {
    y = Tensor::empty(d.outputShape(), input.device());
    std::memcpy(y.data(), residual.data(), size_t(y.numel()) * sizeof(float));
  }
  if (y.numel()) algo_->run(d, prepared_, input.data(), bias_.defined() ? bias_.data() : nullptr, relu_, y.data());
  return y;
}

Tensor ConvPlan::runConcat(const std::vector<Tensor>& parts, const ConvOptions& opts) const {
  CN_CHECK(algo_ && algo_->runPlanes, "conv2d: algorithm '", algoName(), "' cannot read a concatenated input in place");
  CN_CHECK(!parts.empty(), "cat: expected at least one tensor");
  const Shape& s0 = parts[0].shape();
  int64_t C = 0;
  for (const Tensor& p : parts) {
    CN_CHECK(p.device().isCpu(), "cat: every tensor must be on cpu, got ", p.device().str());
    CN_CHECK(p.dim() == 4 && p.size(0) == s0[0] && p.size(2) == s0[2] && p.size(3) == s0[3],
             "cat: tensors must match except in dimension 1, got ", shapeStr(s0), " and ", shapeStr(p.shape()));
    C += p.size(1);
  }
  const Shape shape{s0[0], C, s0[2], s0[3]};
  ConvDesc d(shape, desc_.weightShape(), opts, bias_.defined() ? bias_.numel() : -1);
  std::string why = algo_->supports(d);
  CN_CHECK(why.empty(), "conv2d: algorithm '", algo_->name, "' cannot run this convolution: ", why);
  // Plane (n, c) of the concatenation is plane (n, c − c0) of the part holding channel c.
  // The table comes from the caching allocator (like the kernels' workspaces), not the heap, once per run.
  CpuBuffer table(size_t(d.N * d.C) * sizeof(const float*));
  const float** planes = table.as<const float*>();
  const int64_t HW = d.H * d.W;
  for (int64_t n = 0, c = 0; n < d.N; ++n, c = 0)
    for (const Tensor& p : parts)
      for (int64_t i = 0; i < p.size(1); ++i, ++c) planes[n * d.C + c] = p.data() + (n * p.size(1) + i) * HW;
  Tensor y = Tensor::empty(d.outputShape(), Device{});
  if (y.numel()) algo_->runPlanes(d, prepared_, planes, bias_.defined() ? bias_.data() : nullptr, relu_, y.data());
  return y;
}

const ConvAlgo& ConvPlan::algo() const {
  CN_CHECK(algo_ != nullptr, "conv2d: a CUDA plan has no CPU algorithm (it runs '", algoName(), "')");
  return *algo_;
}

const char* ConvPlan::algoName() const { return cudaAlgo_ ? cudaAlgo_->name : algo_->name; }

// Host bytes for a CPU plan; device bytes of a transformed copy for a CUDA plan (0 when it shares the weight).
int64_t ConvPlan::preparedBytes() const {
  if (!cudaAlgo_) return int64_t(prepared_.data.bytes());
  return cudaPreparedOwn_ ? cudaPrepared_.numel() * int64_t(sizeof(float)) : 0;
}

Tensor ConvPlan::run(const Tensor& input, const ConvOptions& opts) const {
  ConvDesc d(input.shape(), desc_.weightShape(), opts, bias_.defined() ? bias_.numel() : -1);
  d.precision = desc_.precision;  // the plan's weights were prepared for it
  const Device planDevice = cudaAlgo_ ? cudaPrepared_.device() : Device{};
  CN_CHECK(input.device() == planDevice, "conv2d: input is on ", input.device().str(), " but the plan's weights are on ",
           planDevice.str());
  if (cudaAlgo_) {
    std::string why = cudaConvSupports(*cudaAlgo_, d, workspaceLimit_);
    CN_CHECK(why.empty(), "conv2d: algorithm '", cudaAlgo_->name, "' cannot run this convolution on CUDA: ", why);
    Tensor y = Tensor::empty(d.outputShape(), input.device());
    cuda_ops::convRun(*cudaAlgo_, d, input, cudaPrepared_, bias_, relu_, y);
    return y;
  }
  std::string why = algo_->supports(d);
  CN_CHECK(why.empty(), "conv2d: algorithm '", algo_->name, "' cannot run this convolution: ", why);
  Tensor y = Tensor::empty(d.outputShape(), input.device());
  if (y.numel()) algo_->run(d, prepared_, input.data(), bias_.defined() ? bias_.data() : nullptr, relu_, y.data());
  return y;
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvOptions& opts, bool relu,
              const std::string& algo, int64_t workspaceLimit, bool cachePrepared) {
  ConvDesc d(input.shape(), weight.shape(), opts, bias.defined() ? bias.numel() : -1);
  checkOperands(input, weight, bias);
  if (input.device().isCuda()) return cudaConv2d(d, input, weight, bias, relu, algo, workspaceLimit);
  CN_CHECK(input.device().isCpu(), "conv2d: input is on ", input.device().str(), ", which has no kernel yet");
  requireFp32OnCpu(d.precision, "conv2d");
  const ConvAlgo& a = algo == "auto" || algo.empty() ? chooseEagerConv(d, cachePrepared) : resolveConvAlgo(d, algo);
  Tensor y = Tensor::empty(d.outputShape(), input.device());
  if (y.numel() == 0) return y;
  // Prepared once per weight contents (dispatch/prepared_cache.h): a loop over the same weight runs as a
  // ConvPlan would, and the entry is the very data an uncached call prepares.
  std::shared_ptr<const ConvPrepared> p = cachePrepared ? preparedConvWeights(d, a, weight) : prepareConvWeights(d, a, weight);
  a.run(d, *p, input.data(), bias.defined() ? bias.data() : nullptr, relu, y.data());
  return y;
}

}  // namespace convnets
