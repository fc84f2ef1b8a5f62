// serve.batcher(model, opts): dynamic batching for servers. Concurrent requests of one sample shape queue
// here; the scheduling rule (schedule.ts, a pure function) says when to send how many of them; the batch is
// stacked into one input, run by a compiled plan on the least-loaded worker (one per device), and each
// request's promise resolves with its own slice of the output. Backpressure (QUEUE_FULL), cancellation
// (AbortSignal), close() that drains in-flight batches, and stats() for a /metrics endpoint.
//
// Everything here runs on the JS thread and touches tensor data only through typed-array copies
// (Float32Array.set / subarray: memcpy, no per-element loops); the inference runs on the library's run
// threads (plan.run, native/graph/run_queue.h).
import { compile, CompiledPlan, CompileOptions, Forward } from '../compile';
import { native } from '../native';
import { Device, Precision, Shape, Tensor } from '../tensor';
import { BatchPolicy, decide, planSizes } from './schedule';

export type ServeErrorCode = 'QUEUE_FULL' | 'CLOSED' | 'BAD_INPUT' | 'ABORT_ERR';

/** An Error with a machine-readable `code`; `ABORT_ERR` ones are named 'AbortError' (Node's convention). */
export class ServeError extends Error {
  constructor(message: string, readonly code: ServeErrorCode) {
    super(message);
    this.name = code === 'ABORT_ERR' ? 'AbortError' : 'ServeError';
  }
}

/**
 * What runs a batch: an input of shape [planSize, ...sample] on the CPU in, the batch's output (any device)
 * out. The batcher makes one PlanWorker per device; `workers` lets tests and custom back ends supply their own.
 */
export interface BatchWorker {
  readonly device: string;
  run(input: Tensor, planSize: number): Promise<Tensor>;
  dispose(): void;
}

export interface BatcherOptions {
  /** The shape of one request's input, without the batch dimension, e.g. [3, 224, 224]. Required. */
  inputShape: Shape;
  /** Where the plans run (default 'cpu'); `devices` overrides it with one worker per entry. */
  device?: Device;
  devices?: Device[];
  /** Largest batch (default 32, at most 1024). */
  maxBatch?: number;
  /** How long the oldest request may wait for company (default 2 ms). */
  maxDelayMs?: number;
  /** Requests waiting beyond this reject at once with code 'QUEUE_FULL' (default 1024). */
  maxQueue?: number;
  /** Batches one worker may hold at once, running and queued behind it (default 1, like a Triton instance). */
  maxInFlightPerWorker?: number;
  /** Zero-pad a batch up to the next plan size (default: true off the CPU, false on it; see schedule.ts). */
  pad?: boolean;
  /** Compile every plan size now (default true), so no request waits for a compile (1-2 s each for ResNet-18). */
  warmup?: boolean;
  /** CUDA: 'fp32' (default) or 'tf32' | 'bf16' | 'fp16' on tensor cores (compile()'s precision); the CPU refuses them. */
  precision?: Precision;
  /** Further compile() options (lowering passes, cudaGraph). */
  compileOptions?: Omit<CompileOptions, 'inputShape' | 'device'>;
  /** The model for one device, when its weights must live there (default: `model` everywhere). */
  modelForDevice?: (device: Device) => Forward;
  /** Custom workers instead of compiled plans (testing, other back ends). */
  workers?: BatchWorker[];
  /** Called after each batch that ran (for metrics: a batch-size histogram); exceptions it throws are ignored. */
  onBatch?: (info: BatchInfo) => void;
}

export interface BatchInfo {
  device: string;
  /** Requests in the batch, and the plan size that ran it (larger when padded). */
  size: number;
  planSize: number;
  /** Wall time of the worker's run, ms. */
  ms: number;
  ok: boolean;
}

export interface RunOptions {
  /** Aborting drops a queued request before it runs; one already running rejects at once, its result discarded. */
  signal?: AbortSignal;
}

export interface BatcherStats {
  queueDepth: number;
  inFlightBatches: number;
  /** Requests accepted, resolved, and rejected after acceptance (failed batch, abort, close). */
  accepted: number;
  completed: number;
  failed: number;
  /** Requests refused per code (QUEUE_FULL, CLOSED, BAD_INPUT, ABORT_ERR). */
  rejected: Record<ServeErrorCode, number>;
  batches: number;
  meanBatchSize: number;
  /** Latency from run() to resolution over the last 4096 completed requests, in ms (NaN before any). */
  p50Ms: number;
  p99Ms: number;
  workers: { device: string; batches: number; samples: number; inFlight: number }[];
}

interface Pending {
  x: Tensor;
  leadingOne: boolean;  // the input had a batch dimension of 1: its output keeps one too
  arrivedMs: number;
  resolve(t: Tensor): void;
  reject(e: unknown): void;
  settled: boolean;
  running: boolean;
  unlisten?: () => void;
}

interface WorkerSlot {
  worker: BatchWorker;
  inFlight: number;
  inFlightSamples: number;
  batches: number;
  samples: number;
}

const LATENCY_WINDOW = 4096;
const shapeStr = (s: Shape) => `[${s.join(', ')}]`;

function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`serve.batcher: ${name} must be an integer from ${lo} to ${hi}, got ${String(v)}`);
  }
  return v;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs the batcher's compiled plans on one device; plans are compiled per batch size and shared per device. */
class PlanWorker implements BatchWorker {
  constructor(readonly device: Device, private readonly plan: (size: number) => CompiledPlan) {}
  async run(input: Tensor, planSize: number): Promise<Tensor> {
    const plan = this.plan(planSize);
    if (this.device === 'cpu') return plan.run(input);
    const x = input.to(this.device);
    try {
      return await plan.run(x);
    } finally {
      x.dispose();
    }
  }
  dispose(): void {}
}

export class Batcher {
  readonly inputShape: Shape;
  readonly policy: Readonly<BatchPolicy>;
  readonly maxQueue: number;
  private readonly maxInFlight: number;
  private readonly sampleNumel: number;
  private readonly slots: WorkerSlot[];
  private readonly plans = new Map<string, CompiledPlan>();
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private readonly latencies: number[] = [];
  private latencyNext = 0;
  private counts = { accepted: 0, completed: 0, failed: 0, batches: 0, batchedSamples: 0 };
  private readonly rejected: Record<ServeErrorCode, number> = { QUEUE_FULL: 0, CLOSED: 0, BAD_INPUT: 0, ABORT_ERR: 0 };
  private readonly onBatch: BatcherOptions['onBatch'];

  constructor(model: Forward | null, opts: BatcherOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('serve.batcher: options {inputShape} are required');
    const { inputShape } = opts;
    if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new TypeError(`serve.batcher: inputShape must be a non-empty array of positive integers (one sample, no batch dimension), got ${JSON.stringify(inputShape)}`);
    }
    const maxBatch = checkInt('maxBatch', opts.maxBatch ?? 32, 1, 1024);
    const maxDelayMs = opts.maxDelayMs ?? 2;
    if (typeof maxDelayMs !== 'number' || !Number.isFinite(maxDelayMs) || maxDelayMs < 0) {
      throw new RangeError(`serve.batcher: maxDelayMs must be a finite number ≥ 0, got ${String(maxDelayMs)}`);
    }
    this.maxQueue = checkInt('maxQueue', opts.maxQueue ?? 1024, 1, 2 ** 31 - 1);
    this.maxInFlight = checkInt('maxInFlightPerWorker', opts.maxInFlightPerWorker ?? 1, 1, 1024);
    if (opts.pad !== undefined && typeof opts.pad !== 'boolean') throw new TypeError(`serve.batcher: pad must be a boolean, got ${String(opts.pad)}`);
    const devices: Device[] = opts.devices ?? [opts.device ?? 'cpu'];
    if (!Array.isArray(devices) || devices.length === 0 || !devices.every((d) => typeof d === 'string' && /^(cpu|cuda(:\d+)?)$/.test(d))) {
      throw new TypeError(`serve.batcher: devices must be a non-empty array of 'cpu' / 'cuda' / 'cuda:N', got ${JSON.stringify(opts.devices ?? opts.device)}`);
    }
    this.inputShape = Object.freeze(inputShape.slice());
    this.sampleNumel = inputShape.reduce((a, b) => a * b, 1);
    this.policy = Object.freeze({ maxBatch, maxDelayMs, sizes: planSizes(maxBatch), pad: opts.pad ?? !devices.every((d) => d === 'cpu') });

    const compileOptions = { ...opts.compileOptions, ...(opts.precision !== undefined ? { precision: opts.precision } : {}) };
    let workers = opts.workers;
    if (workers !== undefined) {
      if (!Array.isArray(workers) || workers.length === 0 || !workers.every((w) => w && typeof w.run === 'function')) {
        throw new TypeError('serve.batcher: workers must be a non-empty array of {device, run(input, planSize), dispose()}');
      }
    } else {
      const forDevice = opts.modelForDevice ?? (() => model);
      if (!opts.modelForDevice && (model === null || model === undefined)) throw new TypeError('serve.batcher: a model is required');
      workers = devices.map((device) => new PlanWorker(device, (size) => this.planFor(forDevice(device) as Forward, device, size, compileOptions)));
      if (opts.warmup ?? true) {
        for (const device of new Set(devices)) for (const s of this.policy.sizes) this.planFor(forDevice(device) as Forward, device, s, compileOptions);
      }
    }
    if (opts.onBatch !== undefined && typeof opts.onBatch !== 'function') throw new TypeError('serve.batcher: onBatch must be a function');
    this.onBatch = opts.onBatch;
    this.slots = workers.map((worker) => ({ worker, inFlight: 0, inFlightSamples: 0, batches: 0, samples: 0 }));
  }

  private planFor(model: Forward, device: Device, size: number, extra: BatcherOptions['compileOptions']): CompiledPlan {
    const key = `${device}/${size}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = compile(model, { ...extra, inputShape: [size, ...this.inputShape], device });
      this.plans.set(key, plan);
    }
    return plan;
  }

  /**
   * Queues one request: `x` of the sample shape (or with a leading batch dimension of 1). Resolves with this
   * request's own output (without, or with, that leading 1) on the CPU. Rejects with a ServeError:
   * BAD_INPUT (wrong shape, not a Tensor), QUEUE_FULL, CLOSED, ABORT_ERR; or with the error of its batch.
   */
  run(x: Tensor, opts: RunOptions = {}): Promise<Tensor> {
    const refuse = (message: string, code: ServeErrorCode) => {
      this.rejected[code]++;
      return Promise.reject(new ServeError(message, code));
    };
    if (this.closed) return refuse('batcher.run: the batcher is closed', 'CLOSED');
    if (!(x instanceof Tensor)) return refuse('batcher.run: input must be a Tensor', 'BAD_INPUT');
    if (x.disposed) return refuse('batcher.run: input was disposed', 'BAD_INPUT');
    const s = x.shape, want = this.inputShape;
    const same = (off: number) => s.length === want.length + off && want.every((d, i) => s[i + off] === d);
    const leadingOne = s[0] === 1 && same(1);
    if (!leadingOne && !same(0)) {
      return refuse(`batcher.run: expected an input of shape ${shapeStr(want)} (or [1, ${want.join(', ')}]), got ${shapeStr(s)}`, 'BAD_INPUT');
    }
    const signal = opts?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) return refuse('batcher.run: signal must be an AbortSignal', 'BAD_INPUT');
    if (signal?.aborted) return refuse('batcher.run: the request was aborted', 'ABORT_ERR');
    if (this.queue.length >= this.maxQueue) {
      return refuse(`batcher.run: the queue is full (${this.maxQueue} requests waiting)`, 'QUEUE_FULL');
    }
    this.counts.accepted++;
    return new Promise<Tensor>((resolve, reject) => {
      const p: Pending = { x, leadingOne, arrivedMs: performance.now(), resolve, reject, settled: false, running: false };
      if (signal) {
        const onAbort = () => {
          if (p.settled) return;
          if (!p.running) {
            const i = this.queue.indexOf(p);
            if (i >= 0) this.queue.splice(i, 1);
          }
          this.rejected.ABORT_ERR++;
          this.settle(p, new ServeError('batcher.run: the request was aborted', 'ABORT_ERR'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        p.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(p);
      this.pump();
    });
  }

  /** Queue depth, batches run, mean batch size, latency percentiles, and per-worker counts. */
  stats(): BatcherStats {
    const sorted = this.latencies.slice().sort((a, b) => a - b);
    const { accepted, completed, failed, batches, batchedSamples } = this.counts;
    return {
      queueDepth: this.queue.length,
      inFlightBatches: this.slots.reduce((a, w) => a + w.inFlight, 0),
      accepted, completed, failed,
      rejected: { ...this.rejected },
      batches,
      meanBatchSize: batches ? batchedSamples / batches : 0,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      workers: this.slots.map((w) => ({ device: w.worker.device, batches: w.batches, samples: w.samples, inFlight: w.inFlight })),
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops accepting, rejects the waiting requests with CLOSED, lets the batches in flight finish (their
   * requests resolve), then frees the plans. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.clearTimer();
    for (const p of this.queue.splice(0)) {
      this.rejected.CLOSED++;
      this.settle(p, new ServeError('batcher.run: the batcher was closed before this request ran', 'CLOSED'));
    }
    this.closing = new Promise<void>((resolve) => {
      this.drained = resolve;
      this.checkDrained();
    }).then(() => {
      for (const w of this.slots) w.worker.dispose();
      for (const plan of this.plans.values()) plan.dispose();
      this.plans.clear();
    });
    return this.closing;
  }

  private checkDrained(): void {
    if (this.drained && this.slots.every((w) => w.inFlight === 0)) {
      const done = this.drained;
      this.drained = undefined;
      done();
    }
  }

  private settle(p: Pending, result: Tensor | unknown): void {
    if (p.settled) {
      if (result instanceof Tensor) result.dispose();
      return;
    }
    p.settled = true;
    p.unlisten?.();
    if (result instanceof Tensor) {
      this.counts.completed++;
      this.latencies[this.latencyNext] = performance.now() - p.arrivedMs;
      this.latencyNext = (this.latencyNext + 1) % LATENCY_WINDOW;
      p.resolve(result);
    } else {
      if (!(result instanceof ServeError) || result.code !== 'CLOSED') this.counts.failed++;
      p.reject(result);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** The free worker with the fewest samples in flight (ties: the fewest samples so far), or undefined. */
  private leastLoaded(): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const w of this.slots) {
      if (w.inFlight >= this.maxInFlight) continue;
      if (!best || w.inFlightSamples < best.inFlightSamples ||
          (w.inFlightSamples === best.inFlightSamples && w.samples < best.samples)) best = w;
    }
    return best;
  }

  /** Sends every batch the rule allows now; arms a timer for the next deadline. */
  private pump(): void {
    if (this.closed) return;
    for (;;) {
      const slot = this.leastLoaded();
      const now = performance.now();
      const d = decide({ queued: this.queue.length, oldestMs: this.queue[0]?.arrivedMs ?? now, nowMs: now, workerFree: !!slot }, this.policy);
      if (d.take === 0) {
        if (Number.isFinite(d.waitMs)) {
          const at = now + d.waitMs;
          if (at < this.timerAt) {
            this.clearTimer();
            this.timerAt = at;
            this.timer = setTimeout(() => { this.timer = undefined; this.timerAt = Infinity; this.pump(); }, Math.max(1, Math.ceil(d.waitMs)));
          }
        } else if (this.queue.length === 0) {
          this.clearTimer();
        }
        return;
      }
      this.clearTimer();
      void this.dispatch(slot as WorkerSlot, this.queue.splice(0, d.take), d.planSize);
    }
  }

  private async dispatch(slot: WorkerSlot, batch: Pending[], planSize: number): Promise<void> {
    slot.inFlight++;
    slot.inFlightSamples += batch.length;
    let input: Tensor | undefined;
    const members: Pending[] = [];
    let started = 0, ok = false;
    try {
      // Stack the inputs; rows past the last member (padding) are zeroed. A member whose input cannot be read
      // now (disposed meanwhile) fails alone.
      input = new Tensor(native.empty([planSize, ...this.inputShape]));
      const buf = input.data();
      for (const p of batch) {
        try {
          buf.set(p.x.data(), members.length * this.sampleNumel);
          members.push(p);
          p.running = true;
        } catch (e) {
          this.settle(p, new ServeError(`batcher.run: cannot read the input: ${(e as Error).message}`, 'BAD_INPUT'));
        }
      }
      if (members.length < planSize) buf.fill(0, members.length * this.sampleNumel);
      if (members.length > 0) {
        started = performance.now();
        const y = await slot.worker.run(input, planSize);
        try {
          if (!(y instanceof Tensor) || y.shape[0] !== planSize) {
            throw new Error(`batcher: the worker returned ${y instanceof Tensor ? `shape ${shapeStr(y.shape)}` : 'no Tensor'} for a batch of ${planSize}`);
          }
          const out = y.data();
          const rest = y.shape.slice(1);
          const per = out.length / planSize;
          members.forEach((p, i) => {
            if (p.settled) return; // aborted while running: its slice is dropped
            const slice = out.subarray(i * per, (i + 1) * per);
            this.settle(p, Tensor.from(slice, p.leadingOne ? [1, ...rest] : rest));
          });
        } finally {
          if (y instanceof Tensor) y.dispose();
        }
        this.counts.batches++;
        this.counts.batchedSamples += members.length;
        slot.batches++;
        slot.samples += members.length;
        ok = true;
      }
    } catch (e) {
      // Native errors come from the addon's realm (instanceof Error is false under jest's vm): keep any error object.
      const err = typeof e === 'object' && e !== null && 'message' in e ? e : new Error(String(e));
      for (const p of members) this.settle(p, err);
    } finally {
      input?.dispose();
      if (started && this.onBatch) {
        try {
          this.onBatch({ device: slot.worker.device, size: members.length, planSize, ms: performance.now() - started, ok });
        } catch { /* a metrics hook must not break serving */ }
      }
      slot.inFlight--;
      slot.inFlightSamples -= batch.length;
      this.checkDrained();
      this.pump();
    }
  }
}

/** A dynamic batcher for `model` (a module or (x) => Tensor); see BatcherOptions. */
export function batcher(model: Forward, opts: BatcherOptions): Batcher {
  return new Batcher(model, opts);
}
