#include "core/cpu_features.h"

#include <atomic>
#include <cstdlib>

#include "core/error.h"

namespace convnets {
namespace {

Isa detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
  return Isa::Generic;
}

std::atomic<int>& active() {
  static std::atomic<int> isa = [] {
    Isa best = detect();
    if (const char* env = std::getenv("CONVNETS_ISA")) {
      Isa wanted = parseIsa(env);
      if (int(wanted) < int(best)) best = wanted;  // only ever lower: a higher one would crash
    }
    return int(best);
  }();
  return isa;
}

}  // namespace

Isa detectedIsa() {
  static const Isa isa = detect();
  return isa;
}

Isa activeIsa() { return Isa(active().load(std::memory_order_relaxed)); }

void setIsa(Isa isa) {
  CN_CHECK(int(isa) <= int(detectedIsa()), "setIsa: this CPU does not support ", isaName(isa),
           " (best available: ", isaName(detectedIsa()), ")");
  active().store(int(isa), std::memory_order_relaxed);
}

Isa parseIsa(const std::string& name) {
  if (name == "generic") return Isa::Generic;
  if (name == "avx2") return Isa::Avx2;
  if (name == "avx512") return Isa::Avx512;
  fail("ISA: expected 'generic', 'avx2' or 'avx512', got '", name, "'");
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "generic";
  }
}

std::vector<Isa> availableIsas() {
  std::vector<Isa> out;
  for (int i = 0; i <= int(detectedIsa()); ++i) out.push_back(Isa(i));
  return out;
}

}  // namespace convnets
