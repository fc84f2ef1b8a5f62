export { Tensor, memory, emptyCache } from './tensor';
export type { Device, Shape, MemoryReport } from './tensor';
export { setNumThreads, getNumThreads, cpuInfo, setIsa, cuda } from './runtime';
export type { Isa } from './runtime';
export * as F from './functional';
export { convAlgorithms, findConvAlgorithm, chooseConvAlgorithm, ConvPlan } from './functional/conv';
export type { Conv2dOptions, ConvDescription, ConvAlgo } from './functional/conv';
export { peakFlops } from './functional/linear';
