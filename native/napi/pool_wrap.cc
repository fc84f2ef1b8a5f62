// The thread pool's hooks for tests and bench/ (internal, not in the public API): how a region is split,
// a region that checks the pool's contract, and the region trace.
#include <xmmintrin.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/threadpool.h"
#include "napi/common.h"

namespace convnets::napi {
namespace {

// poolSplit(n, grain, threads) -> [threads, chunk, chunks]: splitRegion's answer.
Napi::Value poolSplit(const Napi::CallbackInfo& info) {
  const RegionSplit s = splitRegion(intArg(info[0], "poolSplit", "n"), intArg(info[1], "poolSplit", "grain"),
                                    int(intArg(info[2], "poolSplit", "threads")));
  auto out = Napi::Array::New(info.Env(), 3);
  out.Set(0u, Napi::Number::New(info.Env(), double(s.threads)));
  out.Set(1u, Napi::Number::New(info.Env(), double(s.chunk)));
  out.Set(2u, Napi::Number::New(info.Env(), double(s.chunks)));
  return out;
}

// poolCheck(n, grain, throwAt) -> { threads, covered, ftz, nestedInline }: one region over [0, n) whose
// chunks record which thread ran them and whether denormals were flushed there, each running a nested
// region that must stay on its thread; the chunk holding index throwAt (if ≥ 0) throws instead.
Napi::Value poolCheck(const Napi::CallbackInfo& info) {
  const int64_t n = intArg(info[0], "poolCheck", "n"), grain = intArg(info[1], "poolCheck", "grain");
  const int64_t throwAt = intArg(info[2], "poolCheck", "throwAt");
  CN_CHECK(n >= 0 && n <= (int64_t(1) << 20), "poolCheck: n out of range");
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::atomic<bool> ftz{true}, nestedInline{true};
  parallelFor(n, grain, [&](int64_t b, int64_t e) {
    if (throwAt >= b && throwAt < e) fail("poolCheck: thrown at ", throwAt);
    if ((_mm_getcsr() & 0x8040) != 0x8040) ftz = false;
    const auto me = std::this_thread::get_id();
    parallelFor(4, 1, [&](int64_t, int64_t) {
      if (std::this_thread::get_id() != me) nestedInline = false;
    });
    for (int64_t i = b; i < e; ++i) hits[size_t(i)] += 1;
    std::lock_guard<std::mutex> lock(mu);
    ids.insert(me);
  });
  bool covered = true;
  for (auto& h : hits) covered = covered && h.load() == 1;
  auto out = Napi::Object::New(info.Env());
  out.Set("threads", Napi::Number::New(info.Env(), double(ids.size())));
  out.Set("covered", Napi::Boolean::New(info.Env(), covered));
  out.Set("ftz", Napi::Boolean::New(info.Env(), ftz.load()));
  out.Set("nestedInline", Napi::Boolean::New(info.Env(), nestedInline.load()));
  return out;
}

// poolTrace(on, serial): starts (clearing) or stops recording parallel regions; returns the records so
// far as [n, grain, threads, chunks, ns, cpuNs] rows (bench/pool counts regions per network with it).
Napi::Value poolTraceFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto records = poolTraceTake();
  poolTrace(info.Length() > 0 && info[0].ToBoolean().Value(), info.Length() > 1 && info[1].ToBoolean().Value());
  auto out = Napi::Array::New(env, records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const RegionRecord& r = records[i];
    auto row = Napi::Array::New(env, 6);
    const int64_t v[] = {r.n, r.grain, r.threads, r.chunks, r.ns, r.cpuNs};
    for (uint32_t j = 0; j < 6; ++j) row.Set(j, Napi::Number::New(env, double(v[j])));
    out.Set(uint32_t(i), row);
  }
  return out;
}

}  // namespace

void initPool(Napi::Env env, Napi::Object exports) {
  exports.Set("poolSplit", Napi::Function::New(env, poolSplit));
  exports.Set("poolCheck", Napi::Function::New(env, poolCheck));
  exports.Set("poolTrace", Napi::Function::New(env, poolTraceFn));
}

}  // namespace convnets::napi
