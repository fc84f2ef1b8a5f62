// Conv2d as torch.nn.Conv2d: weight [out, in/groups, kh, kw], optional bias, torch's default init.
import * as F from '../functional';
import { chooseConvAlgorithm, convAlgorithms, ConvAlgo, ConvGeometry, ConvPlan } from '../functional/conv';
import { Shape, Tensor } from '../tensor';
import { getNumThreads } from '../runtime';
import { torchDefaultBias, torchDefaultWeight } from './init';
import { Module } from './module';
import { native } from '../native';
import { pair, Pair } from './shape';

/** nn.Conv2d's constructor options: the conv geometry (as F.conv2d's Conv2dOptions) and torch's `bias`. */
export interface Conv2dLayerOptions extends ConvGeometry {
  /** Default true. */
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same';
  readonly dilation: [number, number];
  readonly groups: number;
  /** The algorithm asked for ('auto' lets the chooser pick); see setAlgorithm. */
  algorithm: ConvAlgo = 'auto';

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    for (const [name, v] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Conv2d: ${name} must be a positive integer, got ${v}`);
    }
    const groups = opts.groups ?? 1;
    if (!(Number.isInteger(groups) && groups > 0 && inChannels % groups === 0 && outChannels % groups === 0)) {
      throw new Error(`Conv2d: inChannels ${inChannels} and outChannels ${outChannels} must both be divisible by groups ${groups}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'Conv2d: kernelSize');
    this.stride = pair(opts.stride ?? 1, 'Conv2d: stride');
    this.dilation = pair(opts.dilation ?? 1, 'Conv2d: dilation');
    const padding = opts.padding ?? 0;
    this.padding = padding === 'valid' ? [0, 0] : padding === 'same' ? 'same' : pair(padding, 'Conv2d: padding');
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new Error("Conv2d: padding='same' is not supported for strided convolutions");
    }
    this.groups = groups;
    const wShape = [outChannels, inChannels / groups, ...this.kernelSize];
    this.registerParameter('weight', torchDefaultWeight(wShape));
    this.registerParameter('bias', opts.bias ?? true ? torchDefaultBias(outChannels, wShape) : null);
  }

  get weight(): Tensor {
    return this.tensor('weight')!;
  }

  get bias(): Tensor | null {
    return this.tensor('bias');
  }

  /** Forces `algo` for this layer; where the layer's shape does not allow it, the layer runs 'auto'. */
  setAlgorithm(algo: ConvAlgo): void {
    this.algorithm = algo;
    this.resolved.clear();
  }

  /** Prepared (packed / transformed) weights per resolved algorithm and activation, built on first use. */
  private plans = new Map<string, ConvPlan>();

  /** resolveAlgorithm's answer per input shape and thread count (asking the chooser costs ~8 µs a call). */
  private resolved = new Map<string, ConvAlgo>();

  protected override stateChanged(): void {
    // weights were replaced, moved or freed: the packed copies are stale, free them now
    for (const plan of this.plans.values()) plan.dispose();
    this.plans.clear();
    this.resolved.clear();
  }

  forward(x: Tensor): Tensor {
    return this.run(x, 'none');
  }

  /** The convolution with the following ReLU fused into its output write. */
  forwardRelu(x: Tensor): Tensor {
    return this.run(x, 'relu');
  }

  private get convOptions() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  /** The algorithm this layer runs on `input`: the forced one if it supports the shape, else auto's choice. */
  resolveAlgorithm(input: Shape): ConvAlgo {
    const desc = { input, weight: this.weight.shape, ...this.convOptions };
    if (this.algorithm !== 'auto' && this.algorithm !== 'find') {
      const entry = convAlgorithms(desc).find((a) => a.name === this.algorithm);
      if (!entry) throw new Error(`Conv2d: unknown convolution algorithm '${this.algorithm}'`);
      if (entry.supported) return entry.name;
      return chooseConvAlgorithm(desc, 'auto');
    }
    return chooseConvAlgorithm(desc, this.algorithm);
  }

  private run(x: Tensor, activation: 'none' | 'relu'): Tensor {
    if (x.device !== 'cpu' || this.weight.device !== 'cpu') {
      return F.conv2d(x, this.weight, this.bias, { ...this.convOptions, activation, algo: this.algorithm });
    }
    const shapeKey = `${x.shape.join(',')}/${getNumThreads()}`;
    let algo: ConvAlgo | undefined = this.resolved.get(shapeKey);
    if (algo === undefined) {
      algo = this.resolveAlgorithm(x.shape);
      this.resolved.set(shapeKey, algo);
    }
    const key = `${algo}:${activation}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = new ConvPlan(this.weight, this.bias, x.shape, { ...this.convOptions, activation, algo });
      this.plans.set(key, plan);
    }
    return plan.run(x);
  }

  protected inferShape(input: Shape): number[] {
    // conv2d's own checks (native/core/conv_desc.cc): summary() fails exactly where forward() would.
    return native.convOutputShape(input.slice(), this.weight.shape.slice(),
      { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  /** Multiply-accumulates for one output shape: K·C/g·R·S per output pixel. */
  macs(output: Shape): number {
    const [n, k, oh, ow] = output;
    return n * k * (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1] * oh * ow;
  }

  protected override extraRepr(): string {
    const p = this.padding === 'same' ? "'same'" : `(${this.padding.join(', ')})`;
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')}), padding=${p}` +
      (this.groups > 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=False');
  }
}
