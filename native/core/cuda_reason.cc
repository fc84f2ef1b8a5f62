#include "core/cuda_reason.h"

namespace convnets::cudart {

std::string cudaVersionString(int v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

std::string explainUnavailable(const ProbeResult& p) {
  if (!p.driverLibraryFound) return "no NVIDIA driver (libcuda.so.1 not found)";
  const std::string visible =
      p.visibleDevicesSet ? " (CUDA_VISIBLE_DEVICES='" + p.visibleDevices + "' hides the others)" : "";
  switch (p.error) {
    case ProbeResult::kInsufficientDriver:
      return "the NVIDIA driver is too old: it supports CUDA " +
             (p.driverVersion > 0 ? cudaVersionString(p.driverVersion) : std::string("(version unknown)")) +
             ", this build of convnets needs CUDA " + cudaVersionString(p.runtimeVersion) +
             " or newer (update the driver)";
    case ProbeResult::kNoDevice:
      return "no CUDA device found" + visible;
    case ProbeResult::kOther:
      return "the CUDA driver failed to initialise (" + p.errorText + ")";
    case ProbeResult::kNone:
      break;
  }
  if (p.deviceCount <= 0) return "no CUDA device found" + visible;
  return "";
}

}  // namespace convnets::cudart
