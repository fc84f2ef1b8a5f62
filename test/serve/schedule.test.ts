// The batching rule as a pure function (Triton's deadline arithmetic): no threads, no timers.
import { serve } from '../../lib';

const { decide, planSizes, batchFor } = serve;
const policy = (maxBatch: number, maxDelayMs: number, pad: boolean) => ({ maxBatch, maxDelayMs, sizes: planSizes(maxBatch), pad });

test('plan sizes: powers of two below maxBatch, then maxBatch', () => {
  expect(planSizes(32)).toEqual([1, 2, 4, 8, 16, 32]);
  expect(planSizes(24)).toEqual([1, 2, 4, 8, 16, 24]);
  expect(planSizes(1)).toEqual([1]);
  expect(planSizes(2)).toEqual([1, 2]);
});

test('nothing queued, or no worker free: wait for an event', () => {
  const p = policy(8, 2, false);
  expect(decide({ queued: 0, oldestMs: 0, nowMs: 100, workerFree: true }, p).waitMs).toBe(Infinity);
  expect(decide({ queued: 50, oldestMs: 0, nowMs: 100, workerFree: false }, p)).toEqual({ take: 0, planSize: 0, waitMs: Infinity });
});

test('a full batch goes at once, before any deadline', () => {
  expect(decide({ queued: 8, oldestMs: 10, nowMs: 10, workerFree: true }, policy(8, 50, false))).toEqual({ take: 8, planSize: 8, waitMs: 0 });
  expect(decide({ queued: 300, oldestMs: 10, nowMs: 10, workerFree: true }, policy(24, 50, true))).toEqual({ take: 24, planSize: 24, waitMs: 0 });
});

test('before the oldest request\'s deadline: wait exactly until it', () => {
  expect(decide({ queued: 3, oldestMs: 100, nowMs: 101.5, workerFree: true }, policy(8, 2, false))).toEqual({ take: 0, planSize: 0, waitMs: 0.5 });
  expect(decide({ queued: 1, oldestMs: 100, nowMs: 100, workerFree: true }, policy(8, 7, true)).waitMs).toBe(7);
});

test('at or past the deadline: send what is queued, split to a plan size on the CPU, padded off it', () => {
  const at = { oldestMs: 100, nowMs: 102, workerFree: true };
  expect(decide({ ...at, queued: 5 }, policy(8, 2, false))).toEqual({ take: 4, planSize: 4, waitMs: 0 });
  expect(decide({ ...at, queued: 5 }, policy(8, 2, true))).toEqual({ take: 5, planSize: 8, waitMs: 0 });
  expect(decide({ ...at, queued: 1 }, policy(8, 2, false))).toEqual({ take: 1, planSize: 1, waitMs: 0 });
  expect(decide({ ...at, queued: 20, nowMs: 500 }, policy(24, 2, true))).toEqual({ take: 20, planSize: 24, waitMs: 0 });
  expect(decide({ ...at, queued: 20, nowMs: 500 }, policy(24, 2, false))).toEqual({ take: 16, planSize: 16, waitMs: 0 });
  // maxDelayMs 0: every request goes as soon as a worker is free.
  expect(decide({ queued: 3, oldestMs: 7, nowMs: 7, workerFree: true }, policy(8, 0, false))).toEqual({ take: 2, planSize: 2, waitMs: 0 });
});

test('invariants over a sweep of states: take ≤ queued, take ≤ planSize ≤ maxBatch, planSize has a plan', () => {
  for (const maxBatch of [1, 3, 8, 24, 32]) {
    for (const pad of [false, true]) {
      const p = policy(maxBatch, 2, pad);
      for (let queued = 0; queued <= 2 * maxBatch + 1; queued++) {
        for (const nowMs of [0, 1, 2, 3]) {
          const d = decide({ queued, oldestMs: 0, nowMs, workerFree: true }, p);
          if (d.take === 0) {
            expect(queued === 0 || (queued < maxBatch && nowMs < 2)).toBe(true);
            continue;
          }
          expect(d.take).toBeLessThanOrEqual(queued);
          expect(d.take).toBeLessThanOrEqual(d.planSize);
          expect(p.sizes).toContain(d.planSize);
          if (!pad) expect(d.take).toBe(d.planSize);            // no padding on the CPU
          if (pad) expect(d.take).toBe(Math.min(queued, maxBatch)); // everything that fits goes
        }
      }
    }
  }
  expect(batchFor(7, policy(32, 2, true))).toEqual({ take: 7, planSize: 8 });
});
