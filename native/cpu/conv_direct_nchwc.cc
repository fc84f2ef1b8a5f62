// "direct_nchwc": the NCHWc direct convolution (conv_nchwc.h) as an NCHW → NCHW registry entry. Each run
// gathers the input into the zero-padded blocked scratch (the reorder), computes, and stores NCHW through the
// kernel's transposing store; compiled plans use the blocked form directly (dispatch/blocked_conv.cc).
#include "cpu/conv_algos.h"
#include "cpu/conv_nchwc.h"

namespace convnets::cpu {
namespace {

// The block of the ISA the weights are prepared for: one zmm of channels with AVX-512, one ymm otherwise.
int blockFor(Isa isa) { return isa == Isa::Avx512 ? 16 : 8; }

int64_t workspace(const ConvDesc& d, Isa isa) {
  return nchwcWorkspaceFloats(d, blockFor(isa), true) * int64_t(sizeof(float));
}

void prepare(const ConvDesc& d, const float* w, Isa isa, ConvPrepared& out) {
  out.isa = isa;
  out.data = CpuBuffer::prepared(size_t(nchwcWeightFloats(d, blockFor(isa))) * sizeof(float));
  prepareNchwcWeights(d, w, blockFor(isa), out.data.as());
}

void run(const ConvDesc& d, const ConvPrepared& pw, const float* x, const float* bias, bool relu, float* y) {
  CpuBuffer ws(size_t(workspace(d, pw.isa)));
  NchwcInput in;
  in.parts = &x;
  NchwcOutput out;
  out.y = y;
  convNchwc(d, blockFor(pw.isa), pw.isa, pw.data.as(), bias, relu, in, out, ws.as());
}

}  // namespace

ConvAlgo convDirectNchwc() { return {"direct_nchwc", nchwcSupports, workspace, prepare, run, ConvCaps()}; }

}  // namespace convnets::cpu
