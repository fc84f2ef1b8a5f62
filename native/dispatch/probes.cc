#include "dispatch/probes.h"

#include "cpu/conv_winograd.h"
#include "cpu/peak_flops.h"

namespace convnets::probes {

double peakFlops(int threads) { return cpu::peakFlops(threads); }

std::vector<float> winogradTransform(const std::string& variant, const std::string& which, const std::vector<float>& in) {
  return cpu::winogradTransform(variant, which, in);
}

}  // namespace convnets::probes
