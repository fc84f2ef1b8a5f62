// ops::blocked::BlockedConv (ops_blocked.h): checks shapes and hands the direct NCHWc kernel
// (cpu/conv_nchwc.h) its input, output and workspace.
#include <algorithm>
#include <string>

#include "core/error.h"
#include "cpu/conv_nchwc.h"
#include "cpu/conv_winograd.h"
#include "dispatch/ops_blocked.h"

namespace convnets::ops::blocked {
namespace {

constexpr const char* kOp = "blocked conv2d";

// ceil(c / B) without channelBlocks' dependency on the block being valid (the message comes first).
int64_t blocksOf(int64_t c, int B) { return (c + B - 1) / B; }

// The desc of one run: the layer's, for the batch of this input (H and W must be the layer's).
ConvDesc runDesc(const ConvDesc& layer, int64_t N, int64_t H, int64_t W) {
  CN_CHECK(H == layer.H && W == layer.W, kOp, ": input is ", H, "x", W, " but the layer was prepared for ", layer.H,
           "x", layer.W);
  ConvDesc d = layer;
  d.N = N;
  return d;
}

// A blocked tensor [N, ceil(C/B), H, W, B] of C real channels; `what` names it in messages.
void checkBlocked(const Tensor& t, int64_t C, int B, const char* what) {
  CN_CHECK(t.device().isCpu(), kOp, ": ", what, " is on ", t.device().str(), ", blocked tensors live on the cpu");
  CN_CHECK(t.dim() == 5, kOp, ": ", what, " must be blocked [N, C/B, H, W, B], got ", shapeStr(t.shape()));
  CN_CHECK(t.size(4) == B, kOp, ": ", what, " has block ", t.size(4), " but the layer's block is ", B);
  CN_CHECK(t.size(1) == blocksOf(C, B), kOp, ": ", what, " has ", t.size(1), " channel blocks, ", C, " channels need ",
           blocksOf(C, B));
}

void checkResidual(const Tensor* residual, const Shape& outShape) {
  if (!residual) return;
  CN_CHECK(residual->device().isCpu(), kOp, ": residual is on ", residual->device().str(), ", expected cpu");
  CN_CHECK(residual->shape() == outShape, kOp, ": residual has shape ", shapeStr(residual->shape()),
           " but the output's is ", shapeStr(outShape));
}

Shape outputShape(const ConvDesc& d, int B, bool blocked) {
  return blocked ? Shape{d.N, blocksOf(d.K, B), d.outH, d.outW, B} : d.outputShape();
}

}  // namespace

BlockedConv::BlockedConv(const ConvDesc& d, const Tensor& weight, const Tensor& bias, bool relu, int B,
                         const std::string& kernel)
    : desc_(d), B_(B), relu_(relu), bias_(bias) {
  CN_CHECK(B == 8 || B == 16, kOp, ": block must be 8 or 16, got ", B);
  const std::string why = supports(d);
  CN_CHECK(why.empty(), kOp, ": the NCHWc kernel cannot run this convolution: ", why);
  CN_CHECK(weight.device().isCpu(), kOp, ": weight is on ", weight.device().str(), ", expected cpu");
  CN_CHECK(weight.shape() == d.weightShape(), kOp, ": weight shape ", shapeStr(weight.shape()), " does not match the layer's ",
           shapeStr(d.weightShape()));
  CN_CHECK(!bias.defined() || (bias.device().isCpu() && bias.dim() == 1 && bias.size(0) == d.K), kOp,
           ": bias must be a cpu tensor of ", d.K, " values, got ", shapeStr(bias.shape()));
  requireFp32OnCpu(d.precision, kOp);
  const std::string name = kernel == "auto" ? chooseKernel(d) : kernel;
  if (name == "winograd_4x4_3x3" || name == "winograd_2x2_3x3") {
    wino_ = name == "winograd_4x4_3x3" ? &cpu::winograd4x4_3x3() : &cpu::winograd2x2_3x3();
    const std::string no = cpu::winogradSupports(*wino_, d);
    CN_CHECK(no.empty(), kOp, ": ", name, " cannot run this convolution: ", no);
    cpu::winogradPrepare(*wino_, d, weight.data(), activeIsa(), prepared_);
    return;
  }
  CN_CHECK(name == "direct_nchwc", kOp, ": unknown kernel '", name,
           "' (auto, direct_nchwc, winograd_4x4_3x3 or winograd_2x2_3x3)");
  prepared_.isa = activeIsa();
  prepared_.data = CpuBuffer::prepared(size_t(cpu::nchwcWeightFloats(d, B)) * sizeof(float));
  cpu::prepareNchwcWeights(d, weight.data(), B, prepared_.data.as());
}

std::string BlockedConv::supports(const ConvDesc& d) { return cpu::nchwcSupports(d); }

// Winograd does fewer multiplies than the direct kernel on 3×3 stride-1 layers; measured on blocked layers
// of ≥ 64 input channels, 1.2–2.3× (bench/RESULTS-chooser.md, "Winograd in blocked plans"); thinner layers
// were not measured and keep the direct kernel. Any input affine (DenseNet's BN + ReLU) or concatenated parts are applied by
// Winograd's padded copy, so they do not change the choice (they are set after construction).
const char* BlockedConv::chooseKernel(const ConvDesc& d) {
  const bool k3s1 = d.R == 3 && d.S == 3 && d.strideH == 1 && d.strideW == 1 && d.dilationH == 1 && d.dilationW == 1;
  if (!k3s1 || d.groups != 1 || d.C < 64) return "direct_nchwc";
  // As the CPU 'auto' rules C4 and C5 (dispatch/conv_registry.cc), but F(2×2) on maps under 8×8 only from 64
  // output channels: DenseNet's 128→32 on 7² ran 0.66× the direct kernel's speed (0.031 vs 0.020 ms), its
  // transforms and tile padding not paid back by 32 channels; 192→384 and 512→512 on 7² gained 1.2–1.4×.
  if (d.outH >= 8 && d.outW >= 8) return "winograd_4x4_3x3";
  return d.K >= 64 ? "winograd_2x2_3x3" : "direct_nchwc";
}

const char* BlockedConv::kernelName() const { return wino_ ? wino_->name : "direct_nchwc"; }

void BlockedConv::setInputAffine(InputAffine a) {
  CN_CHECK(int64_t(a.scale.size()) == desc_.C && int64_t(a.shift.size()) == desc_.C, kOp, ": input affine map has ",
           a.scale.size(), " scales and ", a.shift.size(), " shifts for ", desc_.C, " input channels");
  prepared_.inputAffine = std::make_shared<const InputAffine>(std::move(a));
}

int64_t BlockedConv::preparedBytes() const { return int64_t(prepared_.data.bytes()); }

namespace {

// Allocates the output and the workspace (from the caching allocator, like the registry's algorithms) and runs.
Tensor runKernel(const ConvDesc& d, int B, const ConvPrepared& p, const Tensor& bias, bool relu,
                 const cpu::NchwcInput& in, const Tensor* residual, bool outputBlocked,
                 const cpu::WinogradVariant* wino) {
  const Shape outShape = outputShape(d, B, outputBlocked);
  checkResidual(residual, outShape);
  Tensor y = Tensor::empty(outShape);
  if (y.numel() == 0) return y;
  if (wino) {
    // The engine pads the input into its own scratch (reading blocked parts and the affine map there).
    cpu::WinoIO io;
    io.inBlock = in.blocked ? B : 0;
    io.outBlock = outputBlocked ? B : 0;
    io.residual = residual ? residual->data() : nullptr;
    io.parts = in.blocked ? in.parts : nullptr;
    io.channels = in.blocked ? in.channels : nullptr;
    io.count = in.blocked ? in.count : 0;
    io.affine = in.affine;
    cpu::winogradRun(*wino, d, p, in.parts[0], bias.defined() ? bias.data() : nullptr, relu, y.data(), io);
    return y;
  }
  CpuBuffer ws(size_t(cpu::nchwcWorkspaceFloats(d, B, cpu::nchwcGathers(d, in))) * sizeof(float));
  cpu::NchwcOutput out;
  out.y = y.data();
  out.blocked = outputBlocked;
  out.residual = residual ? residual->data() : nullptr;
  cpu::convNchwc(d, B, p.isa, p.data.as(), bias.defined() ? bias.data() : nullptr, relu, in, out, ws.as());
  return y;
}

}  // namespace

Tensor BlockedConv::run(const Tensor& x, bool inputBlocked, const Tensor* residual, bool outputBlocked) const {
  CN_CHECK(x.device().isCpu(), kOp, ": input is on ", x.device().str(), ", expected cpu");
  if (inputBlocked) checkBlocked(x, desc_.C, B_, "input");
  else
    CN_CHECK(x.dim() == 4 && x.size(1) == desc_.C, kOp, ": input must be NCHW with ", desc_.C, " channels, got ",
             shapeStr(x.shape()));
  const ConvDesc d = runDesc(desc_, x.size(0), x.size(2), x.size(3));
  const float* data = x.data();
  const int64_t C = desc_.C;
  cpu::NchwcInput in;
  in.blocked = inputBlocked;
  in.parts = &data;
  in.channels = &C;
  in.affine = prepared_.inputAffine.get();
  return runKernel(d, B_, prepared_, bias_, relu_, in, residual, outputBlocked, wino_);
}

Tensor BlockedConv::runConcat(const std::vector<Tensor>& parts, const std::vector<int64_t>& channels,
                              const Tensor* residual, bool outputBlocked) const {
  CN_CHECK(!parts.empty(), kOp, ": expected at least one part");
  CN_CHECK(parts.size() == channels.size(), kOp, ": ", parts.size(), " parts but ", channels.size(), " channel counts");
  int64_t C = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string what = "part " + std::to_string(i);
    checkBlocked(parts[i], channels[i], B_, what.c_str());
    CN_CHECK(i + 1 == parts.size() || channels[i] % B_ == 0, kOp, ": ", what, " has ", channels[i],
             " channels, not a multiple of the block ", B_, " (only the last part may end inside a block)");
    CN_CHECK(parts[i].size(0) == parts[0].size(0) && parts[i].size(2) == parts[0].size(2) &&
                 parts[i].size(3) == parts[0].size(3),
             kOp, ": ", what, " has shape ", shapeStr(parts[i].shape()), " but part 0 has ", shapeStr(parts[0].shape()));
    C += channels[i];
  }
  CN_CHECK(C == desc_.C, kOp, ": the parts hold ", C, " channels but the layer expects ", desc_.C);
  const ConvDesc d = runDesc(desc_, parts[0].size(0), parts[0].size(2), parts[0].size(3));
  std::vector<const float*> pointers;
  for (const Tensor& p : parts) pointers.push_back(p.data());
  cpu::NchwcInput in;
  in.blocked = true;
  in.parts = pointers.data();
  in.channels = channels.data();
  in.count = int(parts.size());
  in.affine = prepared_.inputAffine.get();
  return runKernel(d, B_, prepared_, bias_, relu_, in, residual, outputBlocked, wino_);
}

}  // namespace convnets::ops::blocked
