// Registers the exports of every binding file. Nothing else lives here.
#include "napi/common.h"

namespace convnets::napi {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  initTensor(env, exports);
  initPool(env, exports);
  initOps(env, exports);
  initConv(env, exports);
  initCuda(env, exports);
  initTrace(env, exports);
  initPlan(env, exports);
  initIo(env, exports);
  initBlocked(env, exports);
  return exports;
}

}  // namespace convnets::napi

static Napi::Object InitConvnets(Napi::Env env, Napi::Object exports) { return convnets::napi::init(env, exports); }

NODE_API_MODULE(convnets, InitConvnets)
