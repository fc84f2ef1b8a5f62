// F: functional ops with torch.nn.functional's names, argument conventions and semantics (NCHW).
export { relu, add } from './elementwise';
