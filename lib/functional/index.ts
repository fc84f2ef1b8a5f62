// F: functional ops with torch.nn.functional's names, argument conventions and semantics (NCHW).
export { relu, add, dropout } from './elementwise';
export type { AddOptions, DropoutOptions } from './elementwise';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from './pooling';
export type { MaxPool2dOptions, AvgPool2dOptions } from './pooling';
export { localResponseNorm, batchNorm } from './normalization';
export type { LocalResponseNormOptions, BatchNormOptions } from './normalization';
export { softmax, logSoftmax } from './softmax';
export { cat, flatten } from './shape';
export type { Size2, Activation, ActivationOptions } from './args';
export { conv2d } from './conv';
export type { Conv2dOptions, ConvGeometry, ConvAlgo, ConvAlgorithmName } from './conv';
export { linear, matmul } from './linear';
export type { LinearOptions } from './linear';
export { argmax, topk } from './select';
export type { ArgmaxOptions, TopkOptions, TopkResult } from './select';
export { interpolate } from './interpolate';
export type { InterpolateOptions, InterpolateMode } from './interpolate';
