// The one typed binding file: every native function and its TypeScript signature.
// The addon is found by node-gyp-build: build/Release when built from source, else prebuilds/<platform>-<arch>.
import * as path from 'node:path';
import { loadErrorMessage } from './load_error';

/** The native tensor handle (native/napi/tensor_wrap.cc). lib/tensor.ts wraps it. */
export interface NativeTensor {
  readonly shape: number[];
  readonly device: string;
  readonly disposed: boolean;
  data(): Float32Array;
  dispose(): void;
  reshape(shape: number[]): NativeTensor;
  to(device: string): NativeTensor;
}

/** Prepared (packed/transformed) conv weights from convPrepare; freed when garbage collected. */
export interface NativeConvPlan { readonly handle: unknown; readonly algo: string; readonly preparedBytes: number }

/** A compiled plan (napi/plan_worker.cc): the recorded steps of one forward pass. */
export interface NativePlan {
  readonly steps: number;
  readonly inputShape: number[];
  readonly outputShape: number[];
  readonly device: string;
  readonly disposed: boolean;
  /** 'off', 'pending', 'captured' or why the CUDA graph capture failed. */
  readonly graphStatus: string;
  /** CPU plans: the activation arena (native/core/arena.h): planned bytes, allocations it serves, runs that fell back. */
  readonly arenaBytes: number;
  readonly arenaAllocations: number;
  readonly arenaFallbacks: number;
  /** The op of each step after lowering, e.g. 'conv2d+batchNorm+relu'. */
  ops(): string[];
  runSync(input: NativeTensor): NativeTensor;
  /** Runs on the library's run thread for the plan's device (not libuv's pool); rejects with the failing step's message. */
  runAsync(input: NativeTensor): Promise<NativeTensor>;
  /** One run on the calling thread; the wall time of each step in ms. */
  profileSync(input: NativeTensor): number[];
  dispose(): void;
}

export interface MemoryCounters { tensors: number; bytes: number; cachedBytes: number; preparedBytes: number; systemAllocations: number }

// A binding with more than four arguments takes its operands positionally and the rest as one options object,
// read by name (native/napi/common.h, Options): a new option shifts no index, and a key the binding does not
// know is an error naming it.

/** The geometry every conv binding reads (lib/functional/conv.ts normalises torch's forms to these). */
export interface NativeConvGeometry {
  stride: [number, number];
  padding: [number, number] | 'same' | 'valid';
  dilation: [number, number];
  groups: number;
  precision?: string;
}
/** conv2d's and convPrepare's options. */
export interface NativeConvOptions extends NativeConvGeometry { relu: boolean; algo: string; workspaceLimit?: number | null }
/** blockedConvProbe's options: x (or parts) blocked [N, ceil(C/B), H, W, B] when inputBlocked, else NCHW. */
export interface NativeBlockedConvProbe extends NativeConvGeometry {
  relu?: boolean;
  inputBlocked?: boolean;
  outputBlocked?: boolean;
  block: 8 | 16;
  residual?: NativeTensor;
  inputAffine?: { scale: NativeTensor; shift: NativeTensor; relu?: boolean };
  parts?: NativeTensor[];
  channels?: number[];
  /** Force a kernel (default 'auto': BlockedConv::chooseKernel). */
  kernel?: NativeBlockedConvKernel | 'auto';
}
export type NativeBlockedConvKernel = 'direct_nchwc' | 'winograd_4x4_3x3' | 'winograd_2x2_3x3';
/** The registry queries' options. */
export interface NativeConvQuery extends NativeConvGeometry { device?: string; workspaceLimit?: number | null }
/** maxPool2d's and avgPool2d's window; poolOutputShape reads the same (dilation [1, 1] for avgPool2d). */
export interface NativePoolWindow { kernelSize: number[]; stride: number[]; padding: number[]; ceilMode: boolean }

export type NativeBlockedOp = 'toBlocked' | 'affineAvgPool' | 'fromBlocked' | 'maxPool2d' | 'avgPool2d' | 'adaptiveAvgPool2d' | 'add' |
  'relu' | 'affine' | 'cat';

export interface NativeBinding {
  // tensors (napi/tensor_wrap.cc)
  NativeTensor: new () => NativeTensor;
  fromArray(data: Float32Array, shape: number[], device?: string): NativeTensor;
  empty(shape: number[], device?: string): NativeTensor;
  zeros(shape: number[], device?: string): NativeTensor;
  rand(shape: number[], opts: { seed: number; low: number; high: number; device?: string }): NativeTensor;
  randn(shape: number[], opts: { seed: number; mean: number; std: number; device?: string }): NativeTensor;
  memory(): { cpu: MemoryCounters; cuda: MemoryCounters[] };
  emptyCache(): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** Internal (bench/): start/stop recording parallel regions (serial: the caller runs every chunk); returns [n, grain, threads, chunks, ns, cpuNs] rows so far. */
  poolTrace(on: boolean, serial?: boolean): number[][];
  /** Internal (tests): how the pool splits a region of n items, grain, on `threads` threads: [threads, chunk, chunks]. */
  poolSplit(n: number, grain: number, threads: number): [number, number, number];
  /** Internal (tests): one region checking the pool's contract (the chunk holding throwAt throws). */
  poolCheck(n: number, grain: number, throwAt: number): { threads: number; covered: boolean; ftz: boolean; nestedInline: boolean };
  cpuInfo(): { detected: string; active: string; available: string[] };
  setIsa(isa: string): void;

  // elementwise and layer ops (napi/ops.cc)
  relu(x: NativeTensor): NativeTensor;
  add(a: NativeTensor, b: NativeTensor, relu?: boolean): NativeTensor;
  maxPool2d(x: NativeTensor, opts: NativePoolWindow & { dilation: number[] }): NativeTensor;
  avgPool2d(x: NativeTensor, opts: NativePoolWindow & { countIncludePad: boolean }): NativeTensor;
  adaptiveAvgPool2d(x: NativeTensor, outputSize: number[]): NativeTensor;
  localResponseNorm(x: NativeTensor, opts: { size: number; alpha: number; beta: number; k: number }): NativeTensor;
  batchNorm(x: NativeTensor, runningMean: NativeTensor, runningVar: NativeTensor, weight: NativeTensor | null,
            bias: NativeTensor | null, opts: { eps: number; relu: boolean }): NativeTensor;
  /** Training-mode dropout; the mask depends only on (seed, element index). */
  dropout(x: NativeTensor, p: number, seed: number): NativeTensor;
  /** torch's interpolate (dispatch/ops_interpolate.cc); a scaleFactor > 0 sets that axis's sampling grid, 0 = from the sizes. */
  interpolate(x: NativeTensor, opts: { size: [number, number]; mode: string; alignCorners: boolean; antialias: boolean;
    scaleFactor: [number, number] }): NativeTensor;
  /** The [height, width] window at (top, left) of each plane, zero outside the input (CPU). */
  crop2d(x: NativeTensor, opts: { top: number; left: number; height: number; width: number }): NativeTensor;
  softmax(x: NativeTensor, dim: number): NativeTensor;
  logSoftmax(x: NativeTensor, dim: number): NativeTensor;
  cat(tensors: NativeTensor[], dim: number): NativeTensor;
  /** The output shape after maxPool2d's / avgPool2d's checks (throws the op's message); no kernel runs. */
  poolOutputShape(op: 'maxPool2d' | 'avgPool2d', input: number[], opts: NativePoolWindow & { dilation: number[] }): number[];
  argmax(x: NativeTensor, dim: number, keepdim: boolean): NativeTensor;
  topk(x: NativeTensor, opts: { k: number; dim: number; largest: boolean; sorted: boolean }): { values: NativeTensor; indices: NativeTensor };

  // the maths of convolution on plain float64 arrays (napi/ops.cc; numpy / scipy.signal semantics)
  signalConvolve(a: Float64Array, v: Float64Array, mode: string, correlate: boolean): Float64Array;
  signalConvolve2d(in1: { data: Float64Array; shape: number[] }, in2: { data: Float64Array; shape: number[] },
                   opts: { mode: string; correlate: boolean }): { data: Float64Array; shape: [number, number] };

  // convolution, linear/matmul and measuring helpers (napi/conv.cc)
  conv2d(input: NativeTensor, weight: NativeTensor, bias: NativeTensor | null, opts: NativeConvOptions): NativeTensor;
  convAlgorithms(input: number[], weight: number[], opts: NativeConvQuery):
    { name: string; supported: boolean; reason: string; workspaceBytes: number }[];
  findConvAlgorithm(input: number[], weight: number[], opts: NativeConvQuery): { algo: string; timeMs: number; workspaceBytes: number }[];
  chooseConvAlgorithm(input: number[], weight: number[], opts: NativeConvQuery & { algo: string }): string;
  /** The output shape after conv2d's checks (throws conv2d's message); no kernel runs. */
  convOutputShape(input: number[], weight: number[], opts: NativeConvGeometry): number[];
  convPrepare(weight: NativeTensor, bias: NativeTensor | null, inputShape: number[], opts: NativeConvOptions): NativeConvPlan;
  convRun(plan: NativeConvPlan, input: NativeTensor): NativeTensor;
  convDispose(plan: NativeConvPlan): void;
  linear(input: NativeTensor, weight: NativeTensor, bias: NativeTensor | null, opts: { relu?: boolean; precision?: string }): NativeTensor;
  matmul(a: NativeTensor, b: NativeTensor, precision?: string): NativeTensor;
  peakFlops(threads: number): number;
  winogradTransform(variant: string, which: 'weight' | 'input' | 'output', data: Float32Array): Float32Array;
  /** Test hook (internal): one run of the blocked NCHWc conv (native/dispatch/ops_blocked.h BlockedConv). */
  /** The kernel the layer chose (nothing runs). */
  blockedConvProbe(x: NativeTensor | null, weight: NativeTensor, bias: NativeTensor | null, options: NativeBlockedConvProbe & { kernelName: true }): NativeBlockedConvKernel;
  blockedConvProbe(x: NativeTensor | null, weight: NativeTensor, bias: NativeTensor | null, options: NativeBlockedConvProbe & { prepared?: false }): NativeTensor;
  /** The same layer prepared once: each call runs it on the same operands (bench/conv-nchwc.ts). */
  blockedConvProbe(x: NativeTensor | null, weight: NativeTensor, bias: NativeTensor | null, options: NativeBlockedConvProbe & { prepared: true }): () => NativeTensor;
  convCacheStats(): { entries: number; bytes: number; limitBytes: number; hits: number; misses: number };
  setConvCacheLimit(bytes: number): void;
  clearConvCache(): void;

  // tracing a forward pass into a plan (napi/trace.cc, napi/plan_worker.cc)
  traceBegin(input: NativeTensor, precision?: string): void;
  traceEnd(output: NativeTensor, opts: { foldBatchNorm: boolean; fuseRelu: boolean; fuseConcat: boolean; poolFirst: boolean; layout?: string;
    cudaGraph?: boolean }): NativePlan;
  traceAbort(): void;
  /** Test hook: a copy of input for the first okCalls calls of this op instance, then an error. */
  testFailingOp(input: NativeTensor, okCalls: number, failCalls?: number, nonStandard?: boolean): NativeTensor;
  /** Internal (tests, bench/): the channel-blocked (NCHWc) ops of native/dispatch/ops_blocked.h (napi/blocked.cc).
   * options by op: toBlocked {block}, fromBlocked {channels}, maxPool2d / avgPool2d as the NCHW pools,
   * adaptiveAvgPool2d {outputSize}, add {relu?}, relu {}, affine {scale, shift, relu?}, cat {channels}. */
  blockedOp(op: NativeBlockedOp, tensors: NativeTensor[], options: Record<string, unknown>): NativeTensor;
  // checkpoint I/O (napi/io.cc): stored bytes of a safetensors dtype → float32 CPU tensor
  tensorFromBytes(bytes: Uint8Array, dtype: string, shape: number[]): NativeTensor;
  /** The strided view (offset, shape, strides in elements) of a storage of storageNumel `dtype` elements. */
  tensorFromStorage(bytes: Uint8Array, dtype: string, opts: { storageNumel: number; offset: number; shape: number[]; strides: number[] }): NativeTensor;
  imageToTensor(pixels: Uint8Array | Uint16Array, height: number, width: number, channels: number): NativeTensor;
  /** [C, H, W] CPU tensor → interleaved 8-bit pixels of (v · std + mean), rounded and clamped. */
  tensorToImage(image: NativeTensor, mean: number[], std: number[]): Uint8Array;
  /** PIL's Image.resize (BILINEAR / BICUBIC) of interleaved 8-bit pixels, bit for bit. */
  resizeImagePil(pixels: Uint8Array, opts: { height: number; width: number; channels: number; outHeight: number; outWidth: number;
    bicubic: boolean }): Uint8Array;
  /** [N, 1|3, h, w] → a grid of tiles (each min-max scaled), interleaved 8-bit pixels. */
  tensorsToGrid(tiles: NativeTensor, cols: number, pad: number): { pixels: Uint8Array; width: number; height: number; channels: number };

  // CUDA queries (napi/cuda.cc)
  cudaAvailability(): { available: boolean; reason: string; compiled: boolean };
  cudaDeviceCount(): number;
  cudaDeviceInfo(index: number): { name: string; computeCapability: string; totalMemory: number; multiProcessors: number };
  cudaSynchronize(device?: string): void;
  /** Test hook: a kernel that faults, leaving CUDA unusable in this process (tests run it in a child). */
  cudaInjectFault(device: string): void;
  /** Test hook: cuda.unavailableReason()'s wording for a probe outcome (native/core/cuda_reason.h). */
  cudaExplainForTest(probe: { driverLibraryFound: boolean; error?: 'none' | 'insufficientDriver' | 'noDevice' | 'other';
    errorText?: string; driverVersion?: number; runtimeVersion?: number; deviceCount?: number; visibleDevices?: string }): string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown;

function loadAddon(root: string): NativeBinding {
  try {
    return load(root) as NativeBinding;
  } catch (err) {
    throw new Error(loadErrorMessage(err, root), { cause: err });
  }
}

/** The loaded addon. lib/ and dist/ both sit one level below the package root. */
export const native = loadAddon(path.join(__dirname, '..'));
