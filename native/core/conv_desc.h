// A 2-D convolution, fully described: what every algorithm's supports/workspace/run reads.
// Built (and validated) from the input and weight shapes plus torch-style options, before any kernel runs.
#pragma once
#include <cstdint>
#include <string>

#include "core/precision.h"
#include "core/tensor.h"

namespace convnets {

struct ConvOptions {
  int64_t strideH = 1, strideW = 1;
  int64_t padH = 0, padW = 0;  // top/left (and bottom/right unless samePadding)
  bool samePadding = false;    // torch padding='same' (stride 1 only): pads split, the extra one bottom/right
  int64_t dilationH = 1, dilationW = 1;
  int64_t groups = 1;
  Precision precision = Precision::Fp32;  // CUDA: the reduced precisions run on tensor cores
};

struct ConvDesc {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t K = 0, R = 0, S = 0;         // output channels, kernel height, width
  int64_t strideH = 1, strideW = 1;
  int64_t padH = 0, padW = 0;          // top, left
  int64_t padBottom = 0, padRight = 0; // equal to padH/padW except for 'same' with an even kernel
  int64_t dilationH = 1, dilationW = 1;
  int64_t groups = 1;
  int64_t outH = 0, outW = 0;
  Precision precision = Precision::Fp32;

  ConvDesc() = default;
  // Validates shapes and options; throws "conv2d: ..." naming what is wrong. biasNumel < 0: no bias.
  ConvDesc(const Shape& input, const Shape& weight, const ConvOptions& opts, int64_t biasNumel = -1);

  int64_t Cg() const { return C / groups; }  // input channels per group
  int64_t Kg() const { return K / groups; }  // output channels per group
  // Multiply-adds ×2 of the direct definition: 2·N·K·(C/g)·R·S·OH·OW.
  double flops() const { return 2.0 * N * K * Cg() * R * S * outH * outW; }
  Shape outputShape() const { return {N, K, outH, outW}; }
  Shape weightShape() const { return {K, Cg(), R, S}; }
  // "N3 C5 H9 W11 K17 R3 S3 s1x1 p1x1/1x1 d1x1 g1" (+ " bf16" when not fp32): a cache key and a label.
  std::string key() const;
};

// The registries' shared supports() reasons (both devices), "" when `d` qualifies; `algo` names the entry.
// 1×1 kernel without padding (a plain GEMM on the input): gemm_1x1.
std::string needsPointwise(const char* algo, const ConvDesc& d);
// 3×3, stride 1, dilation 1: the Winograd F(m×m, 3×3) variants.
std::string needs3x3Stride1(const char* algo, const ConvDesc& d);

}  // namespace convnets
