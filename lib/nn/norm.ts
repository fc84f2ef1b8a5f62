// BatchNorm2d (inference with running statistics) and LocalResponseNorm, as torch.nn's.
import * as F from '../functional';
import { Shape, Tensor } from '../tensor';
import { constant } from './init';
import { Module } from './module';
import { expectNchw } from './shape';

export interface BatchNorm2dOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, opts: BatchNorm2dOptions = {}) {
    super();
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.registerParameter('weight', this.affine ? constant([numFeatures], 1) : null);
    this.registerParameter('bias', this.affine ? constant([numFeatures], 0) : null);
    this.registerBuffer('running_mean', this.trackRunningStats ? constant([numFeatures], 0) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? constant([numFeatures], 1) : null);
    // torch keeps an int64 step counter; here a float32 scalar, so state_dict keys match torchvision's.
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? constant([], 0) : null);
  }

  get weight(): Tensor | null {
    return this.tensor('weight');
  }
  get bias(): Tensor | null {
    return this.tensor('bias');
  }
  get runningMean(): Tensor | null {
    return this.tensor('running_mean');
  }
  get runningVar(): Tensor | null {
    return this.tensor('running_var');
  }

  forward(x: Tensor): Tensor {
    return this.run(x, false);
  }

  /** Normalisation with the following ReLU fused. */
  forwardRelu(x: Tensor): Tensor {
    return this.run(x, true);
  }

  private run(x: Tensor, relu: boolean): Tensor {
    if (this.training || !this.runningMean || !this.runningVar) {
      throw new Error(
        'BatchNorm2d: only inference with running statistics is supported (batch statistics are not); ' +
          'call model.eval() before forward' + (this.trackRunningStats ? '' : ' and build the layer with trackRunningStats'),
      );
    }
    this.inferShape(x.shape); // torch's BatchNorm2d takes 4-D input only (F.batchNorm takes any N, C, ...)
    return F.batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, { eps: this.eps, activation: relu ? 'relu' : 'none' });
  }

  protected inferShape(input: Shape): number[] {
    expectNchw('BatchNorm2d', input, this.numFeatures);
    return [...input];
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}`;
  }
}

export class LocalResponseNorm extends Module {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  /** torch's definition: b = a / (k + alpha/size · Σ a²)^beta over `size` neighbouring channels. */
  constructor(size: number, opts: { alpha?: number; beta?: number; k?: number } = {}) {
    super();
    this.size = size;
    this.alpha = opts.alpha ?? 1e-4;
    this.beta = opts.beta ?? 0.75;
    this.k = opts.k ?? 1;
  }

  forward(x: Tensor): Tensor {
    return F.localResponseNorm(x, { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k });
  }

  protected inferShape(input: Shape): number[] {
    // F.localResponseNorm's check (native/dispatch/ops.cc), word for word: summary() fails where forward() would.
    if (input.length < 3) throw new Error(`localResponseNorm: expected an input with at least 3 dimensions (N, C, ...), got [${input.join(', ')}]`);
    return [...input];
  }

  protected override extraRepr(): string {
    return `${this.size}, alpha=${this.alpha}, beta=${this.beta}, k=${this.k}`;
  }
}
