#include "core/conv_desc.h"

#include <sstream>

#include "core/error.h"

namespace convnets {

ConvDesc::ConvDesc(const Shape& input, const Shape& weight, const ConvOptions& o, int64_t biasNumel) {
  CN_CHECK(input.size() == 4, "conv2d: expected a 4-D input (N, C, H, W), got ", shapeStr(input));
  CN_CHECK(weight.size() == 4, "conv2d: expected a 4-D weight (K, C/groups, R, S), got ", shapeStr(weight));
  CN_CHECK(o.groups >= 1, "conv2d: groups must be at least 1, got ", o.groups);
  CN_CHECK(o.strideH >= 1 && o.strideW >= 1, "conv2d: stride must be at least 1, got [", o.strideH, ", ",
           o.strideW, "]");
  CN_CHECK(o.dilationH >= 1 && o.dilationW >= 1, "conv2d: dilation must be at least 1, got [", o.dilationH, ", ",
           o.dilationW, "]");
  CN_CHECK(o.samePadding || (o.padH >= 0 && o.padW >= 0), "conv2d: padding must be non-negative, got [", o.padH,
           ", ", o.padW, "]");
  N = input[0]; C = input[1]; H = input[2]; W = input[3];
  K = weight[0]; R = weight[2]; S = weight[3];
  groups = o.groups;
  precision = o.precision;
  CN_CHECK(C % groups == 0, "conv2d: groups=", groups, " does not divide ", C, " input channels");
  CN_CHECK(K % groups == 0, "conv2d: groups=", groups, " does not divide ", K, " output channels");
  CN_CHECK(weight[1] == C / groups, "conv2d: weight has ", weight[1], " input channels per group but input has ",
           C / groups);
  CN_CHECK(K > 0 && R > 0 && S > 0, "conv2d: weight ", shapeStr(weight), " has an empty dimension");
  CN_CHECK(biasNumel < 0 || biasNumel == K, "conv2d: bias has ", biasNumel, " elements but weight has ", K,
           " output channels");
  strideH = o.strideH; strideW = o.strideW;
  dilationH = o.dilationH; dilationW = o.dilationW;
  if (o.samePadding) {
    CN_CHECK(strideH == 1 && strideW == 1, "conv2d: padding='same' is not supported for strided convolutions");
    // torch: total = dilation·(kernel−1), left = total/2, the remainder on the right/bottom.
    int64_t th = dilationH * (R - 1), tw = dilationW * (S - 1);
    padH = th / 2; padBottom = th - padH;
    padW = tw / 2; padRight = tw - padW;
  } else {
    padH = padBottom = o.padH;
    padW = padRight = o.padW;
  }
  int64_t effH = dilationH * (R - 1) + 1, effW = dilationW * (S - 1) + 1;
  int64_t spanH = H + padH + padBottom, spanW = W + padW + padRight;
  CN_CHECK(spanH >= effH && spanW >= effW, "conv2d: input ", shapeStr(input), " with padding [", padH, ", ", padW,
           "] is smaller than the (dilated) kernel ", effH, "x", effW);
  outH = (spanH - effH) / strideH + 1;
  outW = (spanW - effW) / strideW + 1;
}

std::string ConvDesc::key() const {
  std::ostringstream s;
  s << "N" << N << " C" << C << " H" << H << " W" << W << " K" << K << " R" << R << " S" << S << " s" << strideH
    << "x" << strideW << " p" << padH << "x" << padW << "/" << padBottom << "x" << padRight << " d" << dilationH << "x"
    << dilationW << " g" << groups;
  if (precision != Precision::Fp32) s << " " << precisionName(precision);
  return s.str();
}

namespace {
std::string kernelStr(const ConvDesc& d) { return std::to_string(d.R) + "x" + std::to_string(d.S); }
}  // namespace

std::string needsPointwise(const char* algo, const ConvDesc& d) {
  if (d.R != 1 || d.S != 1) return std::string(algo) + " needs a 1x1 kernel, got " + kernelStr(d);
  if (d.padH || d.padW || d.padBottom || d.padRight) return std::string(algo) + " needs padding 0";
  return "";
}

std::string needs3x3Stride1(const char* algo, const ConvDesc& d) {
  const std::string n = algo;
  if (d.R != 3 || d.S != 3) return n + " needs a 3x3 kernel, got " + kernelStr(d);
  if (d.strideH != 1 || d.strideW != 1) return n + " needs stride 1";
  if (d.dilationH != 1 || d.dilationW != 1) return n + " needs dilation 1";
  return "";
}

}  // namespace convnets
