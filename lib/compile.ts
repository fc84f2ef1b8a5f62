// compile(model, {inputShape, device}): traces one forward pass into a native plan (every op binding
// records its closure while a trace is active: napi/trace.cc), lowers it (BN folded into the conv before
// it, ReLU fused into the op before it, unused steps dropped) and returns a CompiledPlan whose run()
// executes on the library's own run thread (native/graph/run_queue.h), never blocking the event loop nor
// occupying libuv's thread pool.
import { native, NativePlan } from './native';
import { Device, Precision, Shape, Tensor } from './tensor';

export type Forward = ((x: Tensor) => Tensor) | { forward(x: Tensor): Tensor; eval?(): unknown };

export interface CompileOptions {
  /** The one input shape the plan accepts, e.g. [1, 3, 224, 224]. */
  inputShape: Shape;
  device?: Device;
  /**
   * CUDA: 'fp32' (default, exact) or 'tf32' | 'bf16' | 'fp16' — every conv and linear of the plan on tensor cores,
   * weights rounded once at plan build (after batch-norm folding, which is done in fp64), fp32 accumulation and
   * fp32 activations between steps. The CPU refuses the reduced precisions.
   */
  precision?: Precision;
  /**
   * CUDA (default true): the plan's kernels are captured once into a CUDA graph and replayed per run (one
   * launch instead of one per kernel; batch 1 is launch-bound). profile() always runs the steps one by one.
   */
  cudaGraph?: boolean;
  /** Lowering passes (default true): fold inference batchNorm into the preceding conv, fuse ReLU into the op before it. */
  foldBatchNorm?: boolean;
  fuseRelu?: boolean;
  /** Default true: a channel cat read only by a 1×1 conv is not materialised; the conv reads its parts in place. */
  fuseConcat?: boolean;
  /**
   * Default true: a non-overlapping average pool of a 1×1 conv's output runs before the conv instead (DenseNet's
   * transitions): the same maths on a quarter of the pixels, rounded differently (float sums in another order).
   */
  poolFirst?: boolean;
  /**
   * CPU plans: the activations' layout between the first conv and the last. 'auto' (default): channel-blocked
   * (NCHW16c on AVX-512, NCHW8c otherwise) around the convs a direct blocked kernel runs faster than their NCHW
   * algorithm, with reorders only where the layouts meet; 'nchw': never blocked; 'blocked': every conv it can
   * run blocked (tests, measurements). Inputs and outputs are always NCHW.
   */
  layout?: 'auto' | 'nchw' | 'blocked';
  /** Run the plan this many times (true: once) on zeros before returning, as plan.warmup() does. Default 0. */
  warmup?: boolean | number;
}

function shapeStr(s: Shape): string {
  return `[${s.join(', ')}]`;
}

export class CompiledPlan {
  /** @internal */
  constructor(private readonly plan: NativePlan) {
    this.inputShape = Object.freeze(plan.inputShape);
    this.outputShape = Object.freeze(plan.outputShape);
    this.device = plan.device as Device;
  }

  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly device: Device;

  /** Number of native steps after lowering. */
  get steps(): number {
    return this.plan.steps;
  }

  /** The op of each step after lowering (e.g. 'conv2d+batchNorm+relu'), for inspection. */
  ops(): string[] {
    return this.plan.ops();
  }

  /**
   * CUDA graphs: 'off' (a CPU plan, or cudaGraph: false), 'pending' (captured on the first run), 'captured', or
   * why the capture failed (the plan then runs its steps one by one, with the same results).
   */
  /**
   * CPU plans: bytes of the activation arena — one block holding every intermediate of a run at offsets
   * planned from their lifetimes on the first run (warmup() or the first run() plans it; 0 before). Runs make
   * no allocator calls for activations; the block is freed with the plan.
   */
  get arenaBytes(): number {
    return this.plan.arenaBytes;
  }

  /**
   * The arena in detail: its bytes, how many of a run's intermediate tensors it holds, and how many runs
   * took at least one of them from the general cache instead (a concurrent run of the same plan does;
   * a deterministic plan run alone never should).
   */
  get arenaStats(): { bytes: number; allocations: number; fallbackRuns: number } {
    return { bytes: this.plan.arenaBytes, allocations: this.plan.arenaAllocations, fallbackRuns: this.plan.arenaFallbacks };
  }

  get cudaGraph(): string {
    return this.plan.graphStatus;
  }

  get disposed(): boolean {
    return this.plan.disposed;
  }

  private check(x: unknown): Tensor {
    if (this.plan.disposed) throw new Error('plan.run: the plan was disposed');
    if (!(x instanceof Tensor)) throw new TypeError('plan.run: input must be a Tensor');
    const same = x.shape.length === this.inputShape.length && x.shape.every((d, i) => d === this.inputShape[i]);
    if (!same || x.device !== this.device) {
      throw new Error(`plan.run: expected an input of shape ${shapeStr(this.inputShape)} on ${this.device}, ` +
        `got ${shapeStr(x.shape)} on ${x.device}`);
    }
    return x;
  }

  /**
   * Runs the plan on the library's run thread for its device (not libuv's pool: the host's fs, dns and zlib
   * keep their threads); the event loop keeps turning. Concurrent runs start in call order. Errors reject.
   */
  async run(x: Tensor): Promise<Tensor> {
    return new Tensor(await this.plan.runAsync(this.check(x).handle));
  }

  /** Runs the plan on the calling thread (blocks it, like eager mode). */
  runSync(x: Tensor): Tensor {
    return new Tensor(this.plan.runSync(this.check(x).handle));
  }

  /**
   * Where the time goes: runs the plan `runs` times on the calling thread and returns each step's op and
   * its median wall time in ms, in plan order (sort them to find the slowest layers).
   */
  profile(x: Tensor, runs = 5): { op: string; ms: number }[] {
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`plan.profile: runs must be a positive integer, got ${runs}`);
    const input = this.check(x).handle;
    const samples = Array.from({ length: runs }, () => this.plan.profileSync(input));
    return this.plan.ops().map((op, i) => {
      const v = samples.map((s) => s[i]).sort((a, b) => a - b);
      return { op, ms: v[Math.floor(v.length / 2)] };
    });
  }

  /**
   * Runs the plan `runs` times (default 1) on a zero input on the worker thread, so the first real request
   * does not pay for first-touch memory and lazily built state (README: "Cold start"). Resolves to the plan.
   */
  async warmup(runs = 1): Promise<this> {
    const x = this.warmupInput(runs);
    try {
      for (let i = 0; i < runs; i++) (await this.run(x)).dispose();
    } finally {
      x.dispose();
    }
    return this;
  }

  /** warmup() on the calling thread. */
  warmupSync(runs = 1): this {
    const x = this.warmupInput(runs);
    try {
      for (let i = 0; i < runs; i++) this.runSync(x).dispose();
    } finally {
      x.dispose();
    }
    return this;
  }

  private warmupInput(runs: number): Tensor {
    if (!Number.isInteger(runs) || runs < 0) throw new Error(`plan.warmup: runs must be a non-negative integer, got ${runs}`);
    if (this.plan.disposed) throw new Error('plan.warmup: the plan was disposed');
    return Tensor.zeros(this.inputShape, { device: this.device });
  }

  /** Frees the plan's constants (folded weights, prepared convs) now; runs in flight finish first. */
  dispose(): void {
    this.plan.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Traces `model` once on an input of `inputShape` and returns a plan that replays the recorded ops.
 * A module is put in eval() mode first. The forward pass must not branch on tensor values (data()),
 * which is checked; weights are captured by reference, so later changes to them are not seen.
 */
export function compile(model: Forward, opts: CompileOptions): CompiledPlan {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('compile: options {inputShape} are required');
  const { inputShape, device = 'cpu', foldBatchNorm = true, fuseRelu = true, fuseConcat = true, poolFirst = true,
    precision = 'fp32', cudaGraph = true, warmup = 0, layout = 'auto' } = opts;
  if (layout !== 'auto' && layout !== 'nchw' && layout !== 'blocked') {
    throw new TypeError(`compile: layout must be 'auto', 'nchw' or 'blocked', got ${JSON.stringify(layout)}`);
  }
  if (typeof cudaGraph !== 'boolean') throw new TypeError(`compile: cudaGraph must be a boolean, got ${JSON.stringify(cudaGraph)}`);
  const warmupRuns = warmup === true ? 1 : warmup === false ? 0 : warmup;
  if (!Number.isInteger(warmupRuns) || warmupRuns < 0) {
    throw new TypeError(`compile: warmup must be a boolean or a non-negative integer, got ${JSON.stringify(warmup)}`);
  }
  if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new TypeError(`compile: inputShape must be an array of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  let forward: (x: Tensor) => Tensor;
  if (typeof model === 'function') {
    forward = model;
  } else if (model && typeof model.forward === 'function') {
    model.eval?.();
    forward = (x) => model.forward(x);
  } else {
    throw new TypeError('compile: model must be a function (x) => Tensor or a module with forward(x)');
  }
  const x = Tensor.rand(inputShape, { seed: 1, low: -1, high: 1, device });
  try {
    native.traceBegin(x.handle, precision);
  } catch (e) {
    x.dispose();
    throw e;
  }
  let y: Tensor | undefined;
  try {
    y = forward(x);
    if (!(y instanceof Tensor)) throw new TypeError('compile: the forward pass must return a Tensor');
  } catch (e) {
    native.traceAbort();
    x.dispose();
    throw e;
  }
  try {
    return new CompiledPlan(native.traceEnd(y.handle, { foldBatchNorm, fuseRelu, fuseConcat, poolFirst, cudaGraph, layout })).warmupSync(warmupRuns);
  } finally {
    if (y !== x) y.dispose();
    x.dispose();
  }
}
