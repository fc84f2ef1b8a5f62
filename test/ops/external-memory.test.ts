// What the binding tells V8 about native memory (N-API AdjustExternalMemory). It reports the caching
// allocators' footprint, so V8 collects forgotten tensors when that footprint grows, and an
// allocate/dispose loop that the caches serve looks like no growth at all. Reporting each tensor's size
// made every op with an output above V8's 64 MB soft limit start a full mark-compact.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { F, Tensor, emptyCache } from '../../lib';

/** Major garbage collections started while `body` runs (gc entries arrive asynchronously). */
async function majorGcs(body: () => void): Promise<number> {
  let majors = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  body();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return majors;
}

test('tensors nobody disposed grow the reported footprint, and V8 collects', async () => {
  emptyCache();
  const kept: Tensor[] = [];
  const majors = await majorGcs(() => {
    for (let i = 0; i < 12; i++) kept.push(Tensor.zeros([8, 1024, 1024])); // 12 x 32 MiB, all cache misses
  });
  for (const t of kept) t.dispose();
  emptyCache();
  expect(majors).toBeGreaterThanOrEqual(1); // nothing reported: no collection at all
});

test('an op on a 103 MB tensor, output disposed each time, starts no major garbage collection', async () => {
  const x = Tensor.rand([32, 64, 112, 112], { seed: 1, low: -1, high: 1 });
  F.relu(x).dispose(); // the cache now holds the output's size
  const majors = await majorGcs(() => {
    for (let i = 0; i < 12; i++) F.relu(x).dispose();
  });
  x.dispose();
  // Before the footprint accounting: about one mark-compact per call (12 here).
  expect(majors).toBeLessThanOrEqual(1);
});
