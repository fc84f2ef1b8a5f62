// Threads, instruction sets and CUDA availability.
import { native } from './native';

/** Threads one op uses (default: env CONVNETS_NUM_THREADS, else the available cores). */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}

export type Isa = 'generic' | 'avx2' | 'avx512';
/** The CPU's best instruction set, the one kernels use now, and every one it can run. */
export function cpuInfo(): { detected: Isa; active: Isa; available: Isa[] } {
  return native.cpuInfo() as { detected: Isa; active: Isa; available: Isa[] };
}
/** Forces the kernels onto `isa` (only ones the CPU supports). Env CONVNETS_ISA does the same at load. */
export function setIsa(isa: Isa): void {
  native.setIsa(isa);
}

export const cuda = {
  /** True when the addon was built with CUDA and a driver and device are present. */
  isAvailable(): boolean {
    return native.cudaAvailability().available;
  },
  /** Why CUDA is unavailable ('' when it is available). */
  unavailableReason(): string {
    return native.cudaAvailability().reason;
  },
  /** Whether this build contains CUDA kernels at all. */
  compiled(): boolean {
    return native.cudaAvailability().compiled;
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  deviceInfo(index = 0): { name: string; computeCapability: string; totalMemory: number; multiProcessors: number } {
    return native.cudaDeviceInfo(index);
  },
  synchronize(device: string = 'cuda'): void {
    native.cudaSynchronize(device);
  },
};
