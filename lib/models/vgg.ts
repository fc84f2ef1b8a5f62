// VGG (Simonyan & Zisserman 2014) as torchvision builds it: configurations A/B/D/E of 3×3 convs and 2×2
// max-pools ('M'), optionally with BatchNorm after every conv, then a 4096-4096 classifier.
import { Module } from '../nn/module';
import { forwardPooledClassifier, shapePooledClassifier } from './classifier_head';
import { Shape, Tensor } from '../tensor';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d, ReLU, Sequential } from '../nn';

export interface VGGOptions {
  numClasses?: number;
  dropout?: number;
}

const CFGS: Record<'A' | 'B' | 'D' | 'E', (number | 'M')[]> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

export class VGG extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(features: Sequential, opts: VGGOptions = {}) {
    super();
    const p = opts.dropout ?? 0.5;
    this.features = this.registerModule('features', features);
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d([7, 7]));
    this.classifier = this.registerModule('classifier', new Sequential(
      new Linear(512 * 7 * 7, 4096), new ReLU({ inplace: true }), new Dropout(p),
      new Linear(4096, 4096), new ReLU({ inplace: true }), new Dropout(p),
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

function makeLayers(cfg: (number | 'M')[], batchNorm: boolean): Sequential {
  const layers: Module[] = [];
  let inChannels = 3;
  for (const v of cfg) {
    if (v === 'M') {
      layers.push(new MaxPool2d(2, { stride: 2 }));
      continue;
    }
    layers.push(new Conv2d(inChannels, v, 3, { padding: 1 }));
    if (batchNorm) layers.push(new BatchNorm2d(v));
    layers.push(new ReLU({ inplace: true }));
    inChannels = v;
  }
  return new Sequential(...layers);
}

const build = (cfg: keyof typeof CFGS, bn: boolean) => (opts: VGGOptions = {}): VGG => new VGG(makeLayers(CFGS[cfg], bn), opts);

export const vgg11 = build('A', false);
export const vgg11_bn = build('A', true);
export const vgg13 = build('B', false);
export const vgg13_bn = build('B', true);
export const vgg16 = build('D', false);
export const vgg16_bn = build('D', true);
export const vgg19 = build('E', false);
export const vgg19_bn = build('E', true);
