// Why CUDA is unavailable, in words a user can act on. A pure function of what the probe saw
// (native/cuda/device.cc), kept in the core so every build (with or without CUDA) can test the wording.
#pragma once
#include <string>

namespace convnets::cudart {

struct ProbeResult {
  bool driverLibraryFound = false;  // dlopen("libcuda.so.1") succeeded
  enum Error { kNone, kInsufficientDriver, kNoDevice, kOther } error = kNone;
  std::string errorText;    // kOther: "cudaErrorXxx: message"
  int driverVersion = 0;    // cudaDriverGetVersion: 12020 = CUDA 12.2 (0 when unknown)
  int runtimeVersion = 0;   // CUDART_VERSION the addon was built against
  int deviceCount = 0;
  std::string visibleDevices;  // CUDA_VISIBLE_DEVICES, when set
  bool visibleDevicesSet = false;
};

// "" when CUDA is usable (a driver and at least one device).
std::string explainUnavailable(const ProbeResult& p);
// 12020 → "12.2"
std::string cudaVersionString(int v);

}  // namespace convnets::cudart
