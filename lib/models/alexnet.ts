// AlexNet: torchvision's (the "one weird trick" single-tower variant: 64/192/384/256/256 channels) and the
// 2012 paper's original (96/256/384/384/256 channels, LRN, and groups=2 where the two GPUs did not talk).
import { Module } from '../nn/module';
import { forwardPooledClassifier, shapePooledClassifier } from './classifier_head';
import { Shape, Tensor } from '../tensor';
import { AdaptiveAvgPool2d, Conv2d, Dropout, Linear, LocalResponseNorm, MaxPool2d, ReLU, Sequential } from '../nn';

export interface AlexNetOptions {
  numClasses?: number;
  dropout?: number;
}

/** features → adaptive avg-pool to 6×6 → flatten → classifier: both AlexNets share this skeleton. */
export class AlexNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(features: Sequential, opts: AlexNetOptions = {}) {
    super();
    const p = opts.dropout ?? 0.5;
    this.features = this.registerModule('features', features);
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d([6, 6]));
    this.classifier = this.registerModule('classifier', new Sequential(
      new Dropout(p), new Linear(256 * 6 * 6, 4096), new ReLU({ inplace: true }),
      new Dropout(p), new Linear(4096, 4096), new ReLU({ inplace: true }),
      new Linear(4096, opts.numClasses ?? 1000),
    ));
  }

  forward(x: Tensor): Tensor {
    return forwardPooledClassifier(this, x);
  }

  protected inferShape(input: Shape): number[] {
    return shapePooledClassifier(this, input);
  }
}

/** torchvision.models.alexnet. */
export function alexnet(opts: AlexNetOptions = {}): AlexNet {
  return new AlexNet(new Sequential(
    new Conv2d(3, 64, 11, { stride: 4, padding: 2 }), new ReLU({ inplace: true }), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(64, 192, 5, { padding: 2 }), new ReLU({ inplace: true }), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(192, 384, 3, { padding: 1 }), new ReLU({ inplace: true }),
    new Conv2d(384, 256, 3, { padding: 1 }), new ReLU({ inplace: true }),
    new Conv2d(256, 256, 3, { padding: 1 }), new ReLU({ inplace: true }), new MaxPool2d(3, { stride: 2 }),
  ), opts);
}

/**
 * Krizhevsky, Sutskever & Hinton 2012, for 227×227 inputs (55 → 27 → 13 → 6 spatially). groups=2 on
 * conv2, conv4 and conv5 is the paper's two-GPU split (those layers only see their own GPU's half);
 * conv3 and the classifier cross over. LRN after the ReLU of conv1 and conv2, before the overlapping
 * 3/2 max-pools. LRN follows torch's convention (alpha is divided by size), as Caffe's does.
 */
export class AlexNetOriginal extends AlexNet {}

export function alexnetOriginal(opts: AlexNetOptions = {}): AlexNetOriginal {
  const lrn = () => new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2 });
  return new AlexNetOriginal(new Sequential(
    new Conv2d(3, 96, 11, { stride: 4 }), new ReLU({ inplace: true }), lrn(), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(96, 256, 5, { padding: 2, groups: 2 }), new ReLU({ inplace: true }), lrn(), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(256, 384, 3, { padding: 1 }), new ReLU({ inplace: true }),
    new Conv2d(384, 384, 3, { padding: 1, groups: 2 }), new ReLU({ inplace: true }),
    new Conv2d(384, 256, 3, { padding: 1, groups: 2 }), new ReLU({ inplace: true }), new MaxPool2d(3, { stride: 2 }),
  ), opts);
}
