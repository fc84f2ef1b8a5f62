// Pooling on NCHW tensors: torch.nn.functional.max_pool2d / avg_pool2d / adaptive_avg_pool2d.
import { native } from '../native';
import { Tensor } from '../tensor';
import { Size2, boolArg, optionsArg, pairArg, tensorArg } from './args';

export interface MaxPool2dOptions {
  kernelSize: Size2;
  /** Defaults to kernelSize. */
  stride?: Size2 | null;
  padding?: Size2;
  dilation?: Size2;
  /** Output size rounds up, but the last window must start inside the input or its left padding. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  kernelSize: Size2;
  /** Defaults to kernelSize. */
  stride?: Size2 | null;
  padding?: Size2;
  ceilMode?: boolean;
  /** Count padding zeros in the divisor (default true). Windows clipped by ceil mode always divide by their clipped size. */
  countIncludePad?: boolean;
}

function windowArgs(op: string, o: Partial<MaxPool2dOptions>) {
  if (o.kernelSize === undefined) throw new TypeError(`${op}: options.kernelSize is required`);
  const kernel = pairArg(op, 'kernelSize', o.kernelSize);
  return {
    kernelSize: kernel,
    stride: o.stride === undefined || o.stride === null ? kernel : pairArg(op, 'stride', o.stride),
    padding: pairArg(op, 'padding', o.padding ?? 0),
    ceilMode: boolArg(op, 'ceilMode', o.ceilMode ?? false),
  };
}

/** Max over each window; NaN in a window gives NaN, like torch. */
export function maxPool2d(input: Tensor, opts: MaxPool2dOptions): Tensor {
  const op = 'maxPool2d';
  const x = tensorArg(op, 'input', input);
  const o = optionsArg(op, opts, true);
  const w = windowArgs(op, o);
  const dilation = pairArg(op, 'dilation', o.dilation ?? 1);
  return new Tensor(native.maxPool2d(x.handle, { ...w, dilation }));
}

export function avgPool2d(input: Tensor, opts: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  const x = tensorArg(op, 'input', input);
  const o = optionsArg(op, opts, true);
  const w = windowArgs(op, o);
  const countIncludePad = boolArg(op, 'countIncludePad', o.countIncludePad ?? true);
  return new Tensor(native.avgPool2d(x.handle, { ...w, countIncludePad }));
}

/** Averages over windows [floor(i*H/oh), ceil((i+1)*H/oh)) so the output is exactly outputSize. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Size2): Tensor {
  const op = 'adaptiveAvgPool2d';
  return new Tensor(native.adaptiveAvgPool2d(tensorArg(op, 'input', input).handle, pairArg(op, 'outputSize', outputSize)));
}
