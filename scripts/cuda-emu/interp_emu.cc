// interpolate.cu under the CPU emulator (emu.h), self-contained: the device-built tap tables must equal the
// host's interpTaps (core/interp_desc.h) bit for bit, and both resampling passes must equal a float64 sum
// over those taps, on awkward axes (every mode, antialias up and down, alignCorners, scale factors, a
// 1-pixel output). Run by scripts/cuda-emu/run-interp.sh (and the jest test that calls it).
#include "core/interp_desc.h"
#include "emu.h"
using namespace convnets;
#include "interp.inc"

int fails = 0, checks = 0;
void report(const char* what, double err, bool ok) {
  ++checks;
  fails += !ok;
  printf("%-60s maxerr %.2e %s\n", what, err, ok ? "OK" : "FAIL");
}

int main() {
  struct Case { int64_t in, out; InterpMode mode; bool align, aa; double sf; };
  const std::vector<Case> cases = {
      {13, 5, InterpMode::Linear, false, true, 0},   {31, 4, InterpMode::Cubic, false, true, 0},
      {5, 11, InterpMode::Cubic, false, false, 0},   {7, 16, InterpMode::Linear, true, false, 0},
      {9, 4, InterpMode::Nearest, false, false, 0},  {11, 25, InterpMode::NearestExact, false, false, 2.3},
      {6, 13, InterpMode::Linear, true, true, 0},    {300, 7, InterpMode::Linear, false, true, 0},
      {8, 1, InterpMode::Cubic, true, false, 0},     {4, 8, InterpMode::Nearest, false, false, 0},
      {23, 3, InterpMode::Cubic, true, true, 0},     {11, 4, InterpMode::Linear, false, false, 0.45}};
  for (const Case& c : cases) {
    const InterpAxis a = makeInterpAxis(c.in, c.out, c.mode, c.align, c.aa, c.sf);
    std::vector<int32_t> idx(a.out * a.taps, -1), hidx(a.out * a.taps);
    std::vector<float> w(a.out * a.taps, NAN), hw(a.out * a.taps);
    launch(dim3{1, 1, 1}, 64, [&] { k_interpolate::interpTableKernel(a, idx.data(), w.data()); });
    for (int64_t o = 0; o < a.out; ++o) interpTaps(a, o, hidx.data() + o * a.taps, hw.data() + o * a.taps);
    char name[120];
    snprintf(name, sizeof name, "table %ld->%ld mode %d align %d aa %d taps %d", long(c.in), long(c.out), int(c.mode), c.align,
             c.aa, a.taps);
    bool same = idx == hidx && std::memcmp(w.data(), hw.data(), w.size() * sizeof(float)) == 0;
    for (int32_t i : idx) same = same && i >= 0 && i < a.in;
    report(name, same ? 0.0 : 1.0, same);
    for (int64_t inner : {int64_t(1), int64_t(7)}) {
      const int64_t outer = 3;
      auto x = rnd(outer * a.in * inner);
      std::vector<float> y(outer * a.out * inner, NAN);
      launch(dim3{2, 1, 1}, 256, [&] { k_interpolate::resampleKernel(x.data(), y.data(), outer, a.in, a.out, inner, a.taps, idx.data(), w.data()); });
      double err = 0;
      for (int64_t p = 0; p < outer; ++p)
        for (int64_t o = 0; o < a.out; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            double r = 0;
            for (int32_t k = 0; k < a.taps; ++k) r += double(hw[o * a.taps + k]) * x[(p * a.in + hidx[o * a.taps + k]) * inner + i];
            const float v = y[(p * a.out + o) * inner + i];
            err = std::isnan(v) ? INFINITY : std::max(err, std::abs(v - r));
          }
      snprintf(name, sizeof name, "resample %ld->%ld mode %d aa %d inner %ld", long(c.in), long(c.out), int(c.mode), c.aa, long(inner));
      report(name, err, err <= 1e-5);
    }
  }
  printf("%d checks, %d failures\n", checks, fails);
  return fails != 0;
}
