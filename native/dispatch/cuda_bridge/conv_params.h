// A ConvDesc as the CUDA conv kernels' parameter struct (cuda/kernels.h): shared by the registry's launches
// (conv_bridge.cc) and the direct conv op (ops_bridge.cc).
#pragma once
#include "core/conv_desc.h"
#include "cuda/kernels.h"

namespace convnets::cuda_ops {

inline cuda::Conv2d conv2dOf(const ConvDesc& d) {
  cuda::Conv2d p;
  p.N = d.N; p.C = d.C; p.H = d.H; p.W = d.W;
  p.K = d.K; p.R = d.R; p.S = d.S;
  p.OH = d.outH; p.OW = d.outW;
  p.strideH = d.strideH; p.strideW = d.strideW; p.padTop = d.padH; p.padLeft = d.padW;
  p.dilH = d.dilationH; p.dilW = d.dilationW; p.groups = d.groups;
  return p;
}

}  // namespace convnets::cuda_ops
