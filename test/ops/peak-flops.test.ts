// peakFlops (the benchmarks' yardstick) measures the active ISA's multiply-add loop. Only sanity bounds
// here (timings are for bench/): a real measurement is finite, well above 1 GFLOP/s on one thread, and
// below 1 TFLOP/s per core, which no x86 core reaches in fp32 — the generic ISA once returned 9.6 PFLOP/s
// because its loop did nothing.
import { peakFlops, getNumThreads } from '../../lib';
import { forEachIsa } from '../helpers/isa';

forEachIsa((isa) => {
  test(`peakFlops(1) on ${isa} is a plausible measurement`, () => {
    const f = peakFlops(1);
    expect(Number.isFinite(f)).toBe(true);
    expect(f).toBeGreaterThan(1e9);
    expect(f).toBeLessThan(1e12);
  });
});

test('peakFlops leaves the thread count as it was', () => {
  const before = getNumThreads();
  peakFlops(1);
  expect(getNumThreads()).toBe(before);
});
