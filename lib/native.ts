// The one typed binding file: every native function and its TypeScript signature.
// The addon is found by node-gyp-build: build/Release when built from source, else prebuilds/<platform>-<arch>.
import * as path from 'node:path';

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

export interface MemoryCounters { tensors: number; bytes: number; cachedBytes: number }

export interface NativeBinding {
  // tensors (napi/tensor_wrap.cc)
  NativeTensor: new () => NativeTensor;
  fromArray(data: Float32Array, shape: number[], device?: string): NativeTensor;
  empty(shape: number[], device?: string): NativeTensor;
  zeros(shape: number[], device?: string): NativeTensor;
  rand(shape: number[], seed: number, low: number, high: number, device?: string): NativeTensor;
  randn(shape: number[], seed: number, mean: number, std: number, device?: string): NativeTensor;
  memory(): { cpu: MemoryCounters; cuda: MemoryCounters[] };
  emptyCache(): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cpuInfo(): { detected: string; active: string; available: string[] };
  setIsa(isa: string): void;

  // elementwise and layer ops (napi/ops.cc)
  relu(x: NativeTensor): NativeTensor;
  add(a: NativeTensor, b: NativeTensor, relu?: boolean): NativeTensor;

  // checkpoint I/O (napi/io.cc): stored bytes of a safetensors dtype → float32 CPU tensor
  tensorFromBytes(bytes: Uint8Array, dtype: string, shape: number[]): NativeTensor;

  // CUDA queries (napi/cuda.cc)
  cudaAvailability(): { available: boolean; reason: string; compiled: boolean };
  cudaDeviceCount(): number;
  cudaDeviceInfo(index: number): { name: string; computeCapability: string; totalMemory: number; multiProcessors: number };
  cudaSynchronize(device?: string): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown;

/** The loaded addon. lib/ and dist/ both sit one level below the package root. */
export const native = load(path.join(__dirname, '..')) as NativeBinding;
