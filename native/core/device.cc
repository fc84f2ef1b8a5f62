#include "core/device.h"

#include "core/error.h"

namespace convnets {

Device Device::parse(const std::string& s) {
  if (s == "cpu") return {DeviceType::CPU, 0};
  if (s == "cuda") return {DeviceType::CUDA, 0};
  if (s.rfind("cuda:", 0) == 0 && s.size() > 5 && s.size() < 9) {
    int index = 0;
    for (size_t i = 5; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') fail("device: expected 'cpu', 'cuda' or 'cuda:N', got '", s, "'");
      index = index * 10 + (s[i] - '0');
    }
    return {DeviceType::CUDA, index};
  }
  fail("device: expected 'cpu', 'cuda' or 'cuda:N', got '", s, "'");
}

}  // namespace convnets
