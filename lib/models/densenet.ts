// DenseNet-BC (Huang et al. 2016) as torchvision builds it: each dense layer sees the concatenation of
// every earlier feature map in its block (BN-ReLU-1×1 bottleneck to bnSize·k, then BN-ReLU-3×3 to k new
// channels); transitions halve the channels (1×1) and the resolution (2×2 average pool).
import * as F from '../functional';
import { Module, step } from '../nn/module';
import { Shape, Tensor } from '../tensor';
import { AvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, ReLU, Sequential } from '../nn';

export class DenseLayer extends Module {
  override get typeName(): string {
    return '_DenseLayer';
  }
  readonly norm1: BatchNorm2d;
  readonly relu1: ReLU;
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly relu2: ReLU;
  readonly conv2: Conv2d;

  constructor(numInputFeatures: number, growthRate: number, bnSize: number) {
    super();
    this.norm1 = this.registerModule('norm1', new BatchNorm2d(numInputFeatures));
    this.relu1 = this.registerModule('relu1', new ReLU({ inplace: true }));
    this.conv1 = this.registerModule('conv1', new Conv2d(numInputFeatures, bnSize * growthRate, 1, { bias: false }));
    this.norm2 = this.registerModule('norm2', new BatchNorm2d(bnSize * growthRate));
    this.relu2 = this.registerModule('relu2', new ReLU({ inplace: true }));
    this.conv2 = this.registerModule('conv2', new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false }));
  }

  /** `x` is the concatenation of all earlier features of the block; returns the k new channels. */
  forward(x: Tensor): Tensor {
    let y = this.norm1.forwardRelu(x);
    y = step(y, x, (t) => this.conv1.forward(t));
    y = step(y, x, (t) => this.norm2.forwardRelu(t));
    return step(y, x, (t) => this.conv2.forward(t));
  }

  protected inferShape(input: Shape): number[] {
    const s = this.relu1.outputShape(this.norm1.outputShape(input));
    return this.conv2.outputShape(this.relu2.outputShape(this.norm2.outputShape(this.conv1.outputShape(s))));
  }
}

export class DenseBlock extends Module {
  override get typeName(): string {
    return '_DenseBlock';
  }

  constructor(numLayers: number, numInputFeatures: number, bnSize: number, growthRate: number) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.registerModule(`denselayer${i + 1}`, new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize));
    }
  }

  /** Every layer reads all features so far (concatenated) and adds its own; the block returns them all. */
  forward(x: Tensor): Tensor {
    let features = x;
    for (const layer of this.children()) {
      const fresh = layer.forward(features);
      features = step(features, x, (all) => F.cat([all, fresh], 1));
      fresh.dispose();
    }
    return features;
  }

  protected inferShape(input: Shape): number[] {
    const s = [...input];
    for (const layer of this.children()) s[1] += layer.outputShape(s)[1];
    return s;
  }
}

export class Transition extends Sequential {
  override get typeName(): string {
    return '_Transition';
  }

  constructor(numInputFeatures: number, numOutputFeatures: number) {
    super();
    this.registerModule('norm', new BatchNorm2d(numInputFeatures));
    this.registerModule('relu', new ReLU({ inplace: true }));
    this.registerModule('conv', new Conv2d(numInputFeatures, numOutputFeatures, 1, { bias: false }));
    this.registerModule('pool', new AvgPool2d(2, { stride: 2 }));
  }
}

export interface DenseNetOptions {
  numClasses?: number;
}

export class DenseNet extends Module {
  readonly features: Sequential;
  readonly classifier: Linear;

  constructor(growthRate: number, blockConfig: number[], numInitFeatures: number, opts: DenseNetOptions & { bnSize?: number } = {}) {
    super();
    const bnSize = opts.bnSize ?? 4;
    this.features = this.registerModule('features', Sequential.named([
      ['conv0', new Conv2d(3, numInitFeatures, 7, { stride: 2, padding: 3, bias: false })],
      ['norm0', new BatchNorm2d(numInitFeatures)],
      ['relu0', new ReLU({ inplace: true })],
      ['pool0', new MaxPool2d(3, { stride: 2, padding: 1 })],
    ]));
    let numFeatures = numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      this.features.addModule(`denseblock${i + 1}`, new DenseBlock(numLayers, numFeatures, bnSize, growthRate));
      numFeatures += numLayers * growthRate;
      if (i !== blockConfig.length - 1) {
        this.features.addModule(`transition${i + 1}`, new Transition(numFeatures, Math.floor(numFeatures / 2)));
        numFeatures = Math.floor(numFeatures / 2);
      }
    });
    this.features.addModule('norm5', new BatchNorm2d(numFeatures));
    this.classifier = this.registerModule('classifier', new Linear(numFeatures, opts.numClasses ?? 1000));
  }

  forward(x: Tensor): Tensor {
    // features ends with norm5; its ReLU is the functional one in torchvision's forward, fused here.
    const list = this.features.children();
    let y = x;
    for (const m of list.slice(0, -1)) y = step(y, x, (t) => m.forward(t));
    y = step(y, x, (t) => (list[list.length - 1] as BatchNorm2d).forwardRelu(t));
    y = step(y, x, (t) => F.adaptiveAvgPool2d(t, [1, 1]));
    y = step(y, x, (t) => F.flatten(t, 1));
    return step(y, x, (t) => this.classifier.forward(t));
  }

  protected inferShape(input: Shape): number[] {
    const s = this.features.outputShape(input);
    return this.classifier.outputShape([s[0], s[1]]);
  }
}

export const densenet121 = (opts: DenseNetOptions = {}) => new DenseNet(32, [6, 12, 24, 16], 64, opts);
export const densenet161 = (opts: DenseNetOptions = {}) => new DenseNet(48, [6, 12, 36, 24], 96, opts);
export const densenet169 = (opts: DenseNetOptions = {}) => new DenseNet(32, [6, 12, 32, 32], 64, opts);
export const densenet201 = (opts: DenseNetOptions = {}) => new DenseNet(32, [6, 12, 48, 32], 64, opts);
