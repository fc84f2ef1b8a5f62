// ops::interpolate, ops::crop2d and ops::resizeImagePil (the resizes and crop of image presets): checks the arguments as torch's F.interpolate does (messages name the argument), builds
// the two axes (core/interp_desc.h) and dispatches to cpu/interpolate.cc or the CUDA bridge.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "dispatch/cuda_ops.h"
#include "core/error.h"
#include "core/interp_desc.h"
#include "dispatch/ops.h"
#include "cpu/interpolate.h"
#include "cpu/resize_pil.h"

namespace convnets::ops {

Tensor interpolate(const Tensor& x, Pair size, const std::string& mode, bool alignCorners, bool antialias,
                   std::array<double, 2> scaleFactor) {
  const char* op = "interpolate";
  CN_CHECK(x.dim() == 4, op, ": expected a 4-D input (N, C, H, W), got ", shapeStr(x.shape()));
  InterpMode m;
  if (mode == "nearest") m = InterpMode::Nearest;
  else if (mode == "nearest-exact") m = InterpMode::NearestExact;
  else if (mode == "bilinear") m = InterpMode::Linear;
  else if (mode == "bicubic") m = InterpMode::Cubic;
  else fail(op, ": mode must be 'nearest', 'nearest-exact', 'bilinear', 'bicubic' or 'area', got '", mode, "'");
  const bool interpolating = m == InterpMode::Linear || m == InterpMode::Cubic;
  CN_CHECK(interpolating || !alignCorners, op, ": alignCorners can only be set with the interpolating modes ",
           "'bilinear' and 'bicubic', not '", mode, "'");
  CN_CHECK(interpolating || !antialias, op, ": antialias is only supported with 'bilinear' and 'bicubic', not '",
           mode, "'");
  constexpr int64_t kMax = int64_t(1) << 31;
  CN_CHECK(size[0] > 0 && size[1] > 0 && size[0] < kMax && size[1] < kMax, op,
           ": output size must be positive and below 2^31, got [", size[0], ", ", size[1], "]");
  for (double s : scaleFactor)
    CN_CHECK(std::isfinite(s) && s >= 0.0, op, ": scaleFactor must be positive and finite, got ", s);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  CN_CHECK(H > 0 && W > 0 && H < kMax && W < kMax, op, ": input spatial size must be positive and below 2^31, got ",
           shapeStr(x.shape()));
  const InterpAxis ah = makeInterpAxis(H, size[0], m, alignCorners, antialias, scaleFactor[0]);
  const InterpAxis aw = makeInterpAxis(W, size[1], m, alignCorners, antialias, scaleFactor[1]);
  Tensor y = Tensor::empty({N, C, size[0], size[1]}, x.device());
  if (x.device().isCuda()) {
    cuda_ops::interpolate(x, ah, aw, y);
    return y;
  }
  CN_CHECK(x.device().isCpu(), op, ": no kernel for input on ", x.device().str());
  cpu::interpolate(x.data(), y.data(), N * C, ah, aw);
  return y;
}

Tensor crop2d(const Tensor& x, int64_t top, int64_t left, int64_t h, int64_t w) {
  const char* op = "crop2d";
  CN_CHECK(x.dim() == 4, op, ": expected a 4-D input (N, C, H, W), got ", shapeStr(x.shape()));
  CN_CHECK(x.device().isCpu(), op, ": input must be on the CPU, got ", x.device().str());
  constexpr int64_t kMax = int64_t(1) << 31;
  CN_CHECK(h > 0 && w > 0 && h < kMax && w < kMax, op, ": crop size must be positive, got [", h, ", ", w, "]");
  CN_CHECK(std::abs(top) < kMax && std::abs(left) < kMax, op, ": offset out of range: ", top, ", ", left);
  const int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  Tensor y = Tensor::zeros({x.size(0), x.size(1), h, w}, x.device());
  const int64_t c0 = std::max<int64_t>(0, -left), c1 = std::min<int64_t>(w, W - left);  // columns inside
  if (c1 <= c0) return y;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t r = 0; r < h; ++r) {
      const int64_t sr = top + r;
      if (sr < 0 || sr >= H) continue;
      std::memcpy(y.data() + (p * h + r) * w + c0, x.data() + (p * H + sr) * W + left + c0,
                  size_t(c1 - c0) * sizeof(float));
    }
  return y;
}

std::vector<uint8_t> resizeImagePil(const uint8_t* px, int64_t bytes, int64_t h, int64_t w, int64_t c, int64_t oh,
                                    int64_t ow, bool bicubic) {
  const char* op = "resizeImagePil";
  constexpr int64_t kMax = int64_t(1) << 16;
  CN_CHECK(h > 0 && w > 0 && oh > 0 && ow > 0 && h < kMax && w < kMax && oh < kMax && ow < kMax && c >= 1 && c <= 4,
           op, ": sizes must be in [1, 65535] and channels in [1, 4], got ", h, "x", w, "x", c, " -> ", oh, "x", ow);
  CN_CHECK(bytes == h * w * c, op, ": a ", h, "x", w, "x", c, " image needs ", h * w * c, " bytes but got ", bytes);
  std::vector<uint8_t> out(size_t(oh * ow * c));
  cpu::resizePil(px, h, w, c, out.data(), oh, ow, bicubic);
  return out;
}

}  // namespace convnets::ops
