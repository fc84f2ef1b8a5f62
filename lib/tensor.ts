// Tensor: float32, contiguous, on 'cpu' or 'cuda[:N]', over storage owned by the native core.
import { native, NativeTensor } from './native';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type Shape = readonly number[];
/** The arithmetic of an op or a compiled plan: 'fp32' (exact) or a CUDA tensor-core precision (core/precision.h). */
export type Precision = 'fp32' | 'tf32' | 'bf16' | 'fp16';

// `using` needs Symbol.dispose (Node >= 20.4 has it; the package needs >= 20.17). The typings come from
// lib esnext.disposable or @types/node, so Tensor, ConvPlan, CompiledPlan and Module are Disposable.
if (typeof Symbol.dispose !== 'symbol') Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('nodejs.dispose') });

function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of non-negative integers, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TypeError(`${op}: shape must be an array of non-negative integers, got [${shape.join(', ')}]`);
  }
  return shape.slice();
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 52);
}

export class Tensor {
  /** @internal the native handle; every op reads it. */
  readonly handle: NativeTensor;
  private shapeCache?: Shape;

  /** @internal use Tensor.from / zeros / rand / randn, or an op. */
  constructor(handle: NativeTensor) {
    this.handle = handle;
  }

  /** Copies `data` (any array of numbers) into a new tensor of `shape`. */
  static from(data: ArrayLike<number>, shape: Shape, opts: { device?: Device } = {}): Tensor {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    return new Tensor(native.fromArray(arr, checkShape('Tensor.from', shape), opts.device));
  }

  static zeros(shape: Shape, opts: { device?: Device } = {}): Tensor {
    return new Tensor(native.zeros(checkShape('Tensor.zeros', shape), opts.device));
  }

  /** Uniform in [low, high) (default [0, 1)); the same seed gives the same values on any thread count. */
  static rand(shape: Shape, opts: { seed?: number; low?: number; high?: number; device?: Device } = {}): Tensor {
    return new Tensor(native.rand(checkShape('Tensor.rand', shape),
      { seed: opts.seed ?? randomSeed(), low: opts.low ?? 0, high: opts.high ?? 1, device: opts.device }));
  }

  /** Normal(mean, std) (default N(0, 1)). */
  static randn(shape: Shape, opts: { seed?: number; mean?: number; std?: number; device?: Device } = {}): Tensor {
    return new Tensor(native.randn(checkShape('Tensor.randn', shape),
      { seed: opts.seed ?? randomSeed(), mean: opts.mean ?? 0, std: opts.std ?? 1, device: opts.device }));
  }

  get shape(): Shape {
    if (!this.shapeCache) this.shapeCache = Object.freeze(this.handle.shape);
    return this.shapeCache;
  }

  get device(): Device {
    return this.handle.device as Device;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get disposed(): boolean {
    return this.handle.disposed;
  }

  /**
   * CPU: a zero-copy Float32Array view of the storage (writes through it change the tensor; while such a view
   * is alive, F.conv2d does not cache prepared weights made from this storage). CUDA: a copy on the host.
   */
  data(): Float32Array {
    return this.handle.data();
  }

  /** The value of a one-element tensor (any shape with numel 1, e.g. a loss or an argmax), as a number. */
  item(): number {
    if (this.numel !== 1) {
      throw new Error(`item: expected a tensor with one element, got shape [${this.shape.join(', ')}] (${this.numel} elements)`);
    }
    return this.handle.data()[0];
  }

  /** A view with another shape over the same storage; one dimension may be -1 (inferred). */
  reshape(shape: Shape): Tensor {
    const dims = shape.slice();
    const infer = dims.indexOf(-1);
    if (infer >= 0) {
      if (dims.indexOf(-1, infer + 1) >= 0) throw new Error(`reshape: only one dimension may be -1, got [${dims.join(', ')}]`);
      const known = dims.reduce((a, d, i) => (i === infer ? a : a * d), 1);
      if (known === 0 || this.numel % known !== 0) {
        throw new Error(`reshape: cannot view a tensor of shape [${this.shape.join(', ')}] as [${dims.join(', ')}]`);
      }
      dims[infer] = this.numel / known;
    }
    return new Tensor(this.handle.reshape(checkShape('reshape', dims)));
  }

  /** A copy on `device`. */
  to(device: Device): Tensor {
    return new Tensor(this.handle.to(device));
  }

  /** Frees the storage now (a Float32Array from data() keeps its own reference alive). */
  dispose(): void {
    this.handle.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], device=${this.device})`;
  }
}

export interface MemoryReport {
  /**
   * preparedBytes: weights packed or transformed for their conv algorithm, alive — held by ConvPlans, compiled
   * plans and eager F.conv2d's cache (convCacheStats(); freed with their weight tensors). systemAllocations:
   * blocks the caching allocator had to take from the system (its misses) since the process started; a loop
   * whose allocations the cache serves leaves it unchanged. cachedBytes holds blocks freed by recent work
   * (activations, workspaces); weights and other long-lived blocks go back to the system once a compiled plan
   * has run (or, without one, once unused for a while): emptyCache() is not needed for that.
   */
  cpu: { tensors: number; bytes: number; cachedBytes: number; preparedBytes: number; systemAllocations: number };
  /**
   * preparedBytes is 0 on CUDA: a CUDA plan's transformed weights are device tensors, counted in bytes.
   * systemAllocations counts the CPU cache's misses only: 0 on CUDA.
   */
  cuda: { tensors: number; bytes: number; cachedBytes: number; preparedBytes: number; systemAllocations: number }[];
}

/**
 * Live tensors (storages) and bytes per device, plus what the caching allocators hold for reuse and, on the
 * CPU, the bytes of prepared (packed or Winograd-transformed) weights.
 */
export function memory(): MemoryReport {
  return native.memory();
}

/** Returns the caching allocators' unused blocks to the system. */
export function emptyCache(): void {
  native.emptyCache();
}
