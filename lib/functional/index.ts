// F: functional ops with torch.nn.functional's names, argument conventions and semantics (NCHW).
export { relu, add } from './elementwise';
export { conv2d } from './conv';
export { linear, matmul } from './linear';
