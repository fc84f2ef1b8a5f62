// MaxPool2d, AvgPool2d, AdaptiveAvgPool2d as torch.nn's (stride defaults to the kernel size).
import * as F from '../functional';
import { Shape, Tensor } from '../tensor';
import { Module } from './module';
import { native } from '../native';
import { pair, Pair } from './shape';

export interface MaxPool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: Pair, opts: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize, 'MaxPool2d: kernelSize');
    this.stride = pair(opts.stride ?? kernelSize, 'MaxPool2d: stride');
    this.padding = pair(opts.padding ?? 0, 'MaxPool2d: padding');
    this.dilation = pair(opts.dilation ?? 1, 'MaxPool2d: dilation');
    this.ceilMode = opts.ceilMode ?? false;
  }

  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode,
    });
  }

  protected inferShape(input: Shape): number[] {
    // The pool's own checks (native/dispatch/ops.cc poolDesc): summary() fails exactly where forward() would.
    return native.poolOutputShape('maxPool2d', input.slice(),
      { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }

  protected override extraRepr(): string {
    return `kernel_size=${this.kernelSize[0]}, stride=${this.stride[0]}, padding=${this.padding[0]}, ceil_mode=${this.ceilMode}`;
  }
}

export interface AvgPool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: Pair, opts: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize, 'AvgPool2d: kernelSize');
    this.stride = pair(opts.stride ?? kernelSize, 'AvgPool2d: stride');
    this.padding = pair(opts.padding ?? 0, 'AvgPool2d: padding');
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad,
    });
  }

  protected inferShape(input: Shape): number[] {
    return native.poolOutputShape('avgPool2d', input.slice(),
      { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: [1, 1], ceilMode: this.ceilMode });
  }

  protected override extraRepr(): string {
    return `kernel_size=${this.kernelSize[0]}, stride=${this.stride[0]}, padding=${this.padding[0]}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize, 'AdaptiveAvgPool2d: outputSize');
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }

  protected inferShape(input: Shape): number[] {
    // F.adaptiveAvgPool2d's checks (native/dispatch/ops.cc), word for word.
    if (input.length !== 4) throw new Error(`adaptiveAvgPool2d: expected a 4-D input (N, C, H, W), got [${input.join(', ')}]`);
    if (input[2] <= 0 || input[3] <= 0) {
      throw new Error(`adaptiveAvgPool2d: input has an empty spatial size ${input[2]}×${input[3]} (shape [${input.join(', ')}])`);
    }
    return [input[0], input[1], ...this.outputSize];
  }

  protected override extraRepr(): string {
    return `output_size=(${this.outputSize.join(', ')})`;
  }
}
