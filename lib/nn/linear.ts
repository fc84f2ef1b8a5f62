// Linear as torch.nn.Linear: weight [out, in], optional bias, torch's default init.
import * as F from '../functional';
import { Shape, Tensor } from '../tensor';
import { torchDefaultBias, torchDefaultWeight } from './init';
import { Module } from './module';

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    for (const [name, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Linear: ${name} must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const wShape = [outFeatures, inFeatures];
    this.registerParameter('weight', torchDefaultWeight(wShape));
    this.registerParameter('bias', opts.bias ?? true ? torchDefaultBias(outFeatures, wShape) : null);
  }

  get weight(): Tensor {
    return this.tensor('weight')!;
  }
  get bias(): Tensor | null {
    return this.tensor('bias');
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  /** The layer with the following ReLU fused. */
  forwardRelu(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias, { activation: 'relu' });
  }

  protected inferShape(input: Shape): number[] {
    // F.linear's checks (native/dispatch/ops.cc), word for word: summary() fails where forward() would.
    if (input.length !== 2) throw new Error(`linear: expected a 2-D input [N, in_features], got [${input.join(', ')}]`);
    if (input[1] !== this.inFeatures) throw new Error(`linear: input has ${input[1]} features but weight expects ${this.inFeatures}`);
    return [input[0], this.outFeatures];
  }

  /** in·out multiply-accumulates per row of the input. */
  macs(output: Shape): number {
    return (output.slice(0, -1).reduce((a, b) => a * b, 1)) * this.inFeatures * this.outFeatures;
  }

  protected override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}
