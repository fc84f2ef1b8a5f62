// Deadline arithmetic of the dynamic batcher, in the shape of Triton's dynamic_batch_scheduler: the decision
// is a pure function of the queue's state and the clock — send a batch of n now, or wait this long — so it is
// unit-tested without threads or timers (test/serve/schedule.test.ts). The batcher calls it on the JS thread
// only: JavaScript's one thread is the lock Triton takes around its queue, so no other lock is needed.
//
// Which requests may share a batch: any queued requests, in arrival order, because the batcher admits only
// inputs of its one sample shape (a request with another shape is rejected alone when it arrives).
//
// Batch sizes with a plan: the powers of two below maxBatch, and maxBatch (planSizes). A plan is fixed to one
// shape, so every size that runs needs its own compiled plan. Measured on ResNet-18 at 224², CPU, 2 threads
// (bench/batch-sizes.ts, bench/RESULTS-serving.md): compiling takes 0.5-2.6 s per size on the JS thread (a traced
// eager forward), a plan keeps no extra memory (it shares the model's prepared weights), and the time per sample
// is nearly flat from batch 1 to 32 (27-38 ms per sample). So: few plans (6 for maxBatch 32, compiled at warm-up
// rather than 32 compiles, each a 1-2 s stall on first use), and on the CPU no padding — padding a batch of 5 to 8
// costs 3 samples' full time — but the largest plan size that the queue fills (5 queued → 4 now, 1 next). On a
// GPU a batch costs little more than one sample (batch 32 ≈ 6× batch 1), so there the batch is zero-padded up
// to the next plan size instead (`pad: true`, the default off the CPU).

export interface BatchPolicy {
  /** Largest batch (≥ 1). */
  maxBatch: number;
  /** How long the oldest queued request may wait for company before its batch is sent (≥ 0). */
  maxDelayMs: number;
  /** Batch sizes with a plan, ascending, starting at 1 and ending at maxBatch (planSizes()). */
  sizes: readonly number[];
  /** true: n requests run in the smallest plan size ≥ n, zero-padded; false: the largest plan size ≤ n. */
  pad: boolean;
}

export interface QueueState {
  /** Requests waiting (not yet sent). */
  queued: number;
  /** When the oldest waiting request arrived (ms, the same clock as nowMs). */
  oldestMs: number;
  nowMs: number;
  /** Whether a worker can take a batch now. */
  workerFree: boolean;
}

/** Send `take` requests now as one batch run by the plan of `planSize` (≥ take), or wait `waitMs` (∞: until an event). */
export type Decision = { take: number; planSize: number; waitMs: 0 } | { take: 0; planSize: 0; waitMs: number };

/** The powers of two below maxBatch, then maxBatch: 32 → [1, 2, 4, 8, 16, 32]; 24 → [1, 2, 4, 8, 16, 24]. */
export function planSizes(maxBatch: number): number[] {
  const sizes: number[] = [];
  for (let s = 1; s < maxBatch; s *= 2) sizes.push(s);
  sizes.push(maxBatch);
  return sizes;
}

const WAIT_FOR_EVENT: Decision = { take: 0, planSize: 0, waitMs: Infinity };

/** The batch to send for n ready requests (n ≥ 1, n ≤ maxBatch). */
export function batchFor(n: number, policy: BatchPolicy): { take: number; planSize: number } {
  const { sizes, pad } = policy;
  if (pad) {
    const planSize = sizes.find((s) => s >= n) ?? sizes[sizes.length - 1];
    return { take: Math.min(n, planSize), planSize };
  }
  let take = sizes[0];
  for (const s of sizes) if (s <= n) take = s;
  return { take, planSize: take };
}

/**
 * The batching decision. Rules, in order:
 * 1. nothing queued, or no worker free → wait for an event (a request arriving, a batch finishing);
 * 2. a full batch is queued → send maxBatch now;
 * 3. the oldest request has waited maxDelayMs → send what is queued now (batchFor);
 * 4. else wait until the oldest request's deadline (oldestMs + maxDelayMs).
 */
export function decide(state: QueueState, policy: BatchPolicy): Decision {
  const { queued, oldestMs, nowMs, workerFree } = state;
  if (queued <= 0 || !workerFree) return WAIT_FOR_EVENT;
  if (queued >= policy.maxBatch) return { take: policy.maxBatch, planSize: policy.maxBatch, waitMs: 0 };
  const deadline = oldestMs + policy.maxDelayMs;
  if (nowMs >= deadline) return { ...batchFor(queued, policy), waitMs: 0 };
  return { take: 0, planSize: 0, waitMs: deadline - nowMs };
}
