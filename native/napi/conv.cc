// Bindings for convolution: conv2d, the algorithm registry and the chooser.
#include "napi/common.h"

namespace convnets::napi {

void initConv(Napi::Env env, Napi::Object exports) {}

}  // namespace convnets::napi
