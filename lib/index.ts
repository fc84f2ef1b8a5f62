export { Tensor, memory, emptyCache } from './tensor';
export type { Device, Shape, MemoryReport } from './tensor';
export { setNumThreads, getNumThreads, cpuInfo, setIsa, cuda } from './runtime';
export type { Isa } from './runtime';
export * as F from './functional';
export * as signal from './signal';
export { convOutputSize } from './signal';
export type { Mode as SignalMode, Array2D } from './signal';
