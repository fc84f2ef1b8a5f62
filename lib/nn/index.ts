// nn: torch.nn-style modules.
export { Module, observeShapes } from './module';
export type { StateDict, LoadResult, ShapeObserver } from './module';
export { Conv2d } from './conv';
export type { Conv2dLayerOptions } from './conv';
export { BatchNorm2d, LocalResponseNorm } from './norm';
export type { BatchNorm2dOptions } from './norm';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling';
export { Linear } from './linear';
export { ReLU, Dropout, Flatten } from './activation';
export { Sequential } from './container';
export * as init from './init';
