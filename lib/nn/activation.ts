// Shape-preserving layers: ReLU, Dropout (identity in eval), Flatten.
import * as F from '../functional';
import { Shape, Tensor } from '../tensor';
import { flattenShape } from '../functional/shape';
import { Module } from './module';

export class ReLU extends Module {
  /** Accepted for torch compatibility; ops here never write into their input. */
  readonly inplace: boolean;

  constructor(opts: { inplace?: boolean } = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }

  forward(x: Tensor): Tensor {
    return F.relu(x);
  }

  protected inferShape(input: Shape): number[] {
    return [...input];
  }
}

export class Dropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.p = p;
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, { p: this.p, training: this.training });
  }

  protected inferShape(input: Shape): number[] {
    return [...input];
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(x: Tensor): Tensor {
    return F.flatten(x, this.startDim, this.endDim);
  }

  protected inferShape(input: Shape): number[] {
    return flattenShape(input, this.startDim, this.endDim);
  }
}
