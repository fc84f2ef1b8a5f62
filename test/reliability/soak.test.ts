// Soak: 2×10⁴ requests (10⁵ with CONVNETS_RELIABILITY_LONG=1) at concurrency 32 through the batcher. Asserts: no
// errors, every output well-formed (a sample checked against eager), RSS drift < 5 % after warm-up (net of the CPU
// allocator's reuse cache, whose growth is bounded), memory() back
// to its baseline after close(). Reports (asserted only with CONVNETS_RELIABILITY_STRICT_TIMING=1, as timing on a
// shared machine is not a pass/fail signal): event-loop lag p50/p99/max and main-thread busy time per request.
import { monitorEventLoopDelay, performance as perf } from 'node:perf_hooks';
import { F, Tensor, memory, serve } from '../../lib';
import { relErr } from '../helpers/check';
import { settleGc } from '../compile/gc';

const LONG = process.env.CONVNETS_RELIABILITY_LONG === '1';
const STRICT = process.env.CONVNETS_RELIABILITY_STRICT_TIMING === '1';
const TOTAL = LONG ? 100_000 : 20_000; // the issue asks 10⁴ in CI: 2×10⁴ leave 15 000 after warm-up, ~5 s
const CONCURRENCY = 32;
// Warm-up: until RSS settles (V8's heap and the allocator's cache of batch-sized blocks grow for the first ~5000
// requests here, then stay flat within ±2 % through 10⁵: the trajectory the test prints shows it).
const WARMUP = LONG ? 10_000 : 5_000;

test(`soak: ${TOTAL} requests at concurrency ${CONCURRENCY} through the batcher`, async () => {
  const sample = [3, 32, 32];
  const p = {
    w1: Tensor.rand([16, 3, 3, 3], { seed: 1, low: -0.3, high: 0.3 }), w2: Tensor.rand([32, 16, 3, 3], { seed: 2, low: -0.1, high: 0.1 }),
    fc: Tensor.rand([10, 32], { seed: 3, low: -0.3, high: 0.3 }), b: Tensor.rand([10], { seed: 4, low: -0.1, high: 0.1 }),
  };
  const model = (x: Tensor) => {
    const h = F.maxPool2d(F.conv2d(x, p.w1, null, { padding: 1, activation: 'relu' }), { kernelSize: 2 });
    const g = F.adaptiveAvgPool2d(F.conv2d(h, p.w2, null, { padding: 1, activation: 'relu' }), 1);
    return F.softmax(F.linear(F.flatten(g), p.fc, p.b), 1);
  };
  const inputs = Array.from({ length: 64 }, (_, i) => Tensor.rand(sample, { seed: 100 + i, low: -1, high: 1 }));
  const refs = inputs.map((x) => { const b = x.reshape([1, ...sample]); const y = model(b); const d = Float32Array.from(y.data()); y.dispose(); b.dispose(); return d; });

  await settleGc();
  const baseline = memory().cpu;
  const b = serve.batcher(model, { inputShape: sample, maxBatch: 32, maxDelayMs: 2, maxQueue: 1024 });

  let sent = 0, done = 0, errors = 0, wrong = 0;
  let rssAfterWarmup = 0, cacheAfterWarmup = 0, rssMax = 0;
  const trajectory: string[] = []; // RSS / allocator cache in MiB every 5 % of the requests
  const lag = monitorEventLoopDelay({ resolution: 1 });
  let elu0 = perf.eventLoopUtilization(), t0 = 0;
  const rssTimer = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss); }, 100);

  const client = async () => {
    while (sent < TOTAL) {
      const i = sent++;
      if (i === WARMUP) { // the first client past warm-up starts the measurements (after a settled GC)
        await settleGc();
        rssAfterWarmup = process.memoryUsage().rss;
        cacheAfterWarmup = memory().cpu.cachedBytes;
        lag.enable();
        elu0 = perf.eventLoopUtilization();
        t0 = performance.now();
      }
      if (i % (TOTAL / 20) === 0) trajectory.push(`${i}: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}/${(memory().cpu.cachedBytes / 2 ** 20).toFixed(0)}`);
      const k = i % inputs.length;
      try {
        const y = await b.run(inputs[k]);
        const d = y.data();
        // Every output: 10 probabilities summing to 1; every 97th also against the eager result.
        let sum = 0;
        for (const v of d) sum += v;
        if (y.shape.length !== 1 || y.shape[0] !== 10 || Math.abs(sum - 1) > 1e-4) wrong++;
        else if (i % 97 === 0 && relErr(d, refs[k]) > 1e-5) wrong++;
        y.dispose();
      } catch {
        errors++;
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const seconds = (performance.now() - t0) / 1000;
  lag.disable();
  clearInterval(rssTimer);
  const elu = perf.eventLoopUtilization(elu0);
  const stats = b.stats();
  await settleGc();
  const rssEnd = process.memoryUsage().rss;
  const cacheEnd = memory().cpu.cachedBytes;
  await b.close();
  await settleGc();
  const after = memory().cpu;

  const measured = TOTAL - WARMUP;
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  const drift = (rssEnd - rssAfterWarmup) / rssAfterWarmup;
  // The CPU allocator keeps freed blocks for reuse (memory().cpu.cachedBytes, 15-40 MiB here, moving with the mix of
  // batch sizes in flight): resident, but not leaked. The drift that would show a leak is RSS net of that cache.
  const net = (rss: number, cache: number) => rss - cache;
  const netDrift = (net(rssEnd, cacheEnd) - net(rssAfterWarmup, cacheAfterWarmup)) / net(rssAfterWarmup, cacheAfterWarmup);
  const busyMsPerRequest = (elu.active / measured);
  console.log([
    `soak: ${TOTAL} requests, concurrency ${CONCURRENCY}: ${(measured / seconds).toFixed(0)} req/s after warm-up, ` +
      `${stats.batches} batches, mean batch ${stats.meanBatchSize.toFixed(1)}, latency p50 ${stats.p50Ms.toFixed(2)} ms p99 ${stats.p99Ms.toFixed(2)} ms (last 4096)`,
    `RSS after warm-up ${(rssAfterWarmup / 2 ** 20).toFixed(1)} MiB, at the end ${(rssEnd / 2 ** 20).toFixed(1)} MiB (drift ${(100 * drift).toFixed(2)} %), ` +
      `max ${(rssMax / 2 ** 20).toFixed(1)} MiB; allocator cache ${(cacheAfterWarmup / 2 ** 20).toFixed(1)} → ${(cacheEnd / 2 ** 20).toFixed(1)} MiB; ` +
      `RSS net of it: drift ${(100 * netDrift).toFixed(2)} %`,
    `event-loop lag p50 ${ms(lag.percentile(50))} ms, p99 ${ms(lag.percentile(99))} ms, max ${ms(lag.max)} ms; ` +
      `main thread busy ${(100 * elu.utilization).toFixed(1)} % = ${busyMsPerRequest.toFixed(3)} ms per request`,
    `RSS / cached MiB by request: ${trajectory.join(', ')}`,
    `memory() before ${JSON.stringify(baseline)}, after close() ${JSON.stringify(after)}`,
  ].join('\n'));

  expect({ done, errors, wrong }).toEqual({ done: TOTAL, errors: 0, wrong: 0 });
  expect(stats.meanBatchSize).toBeGreaterThan(1);
  expect(Math.abs(netDrift)).toBeLessThan(0.05);
  expect(cacheEnd - cacheAfterWarmup).toBeLessThan(64 * 2 ** 20); // the reuse cache's growth stays bounded
  expect(after).toMatchObject({ tensors: baseline.tensors, bytes: baseline.bytes });
  if (STRICT) {
    expect(lag.percentile(99) / 1e6).toBeLessThan(10);
    expect(lag.max / 1e6).toBeLessThan(20);
    expect(busyMsPerRequest).toBeLessThan(1);
  }
  [...inputs, ...Object.values(p)].forEach((t) => t.dispose());
});
