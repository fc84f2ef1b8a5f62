// ResNet (He et al. 2015) as torchvision builds it, v1.5: in the bottleneck the stride sits on the 3×3 conv.
// Each block adds its input (projected by `downsample` when the shape changes) before the last ReLU.
import * as F from '../functional';
import { Module, step } from '../nn/module';
import { Shape, Tensor } from '../tensor';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, ReLU, Sequential } from '../nn';

const conv3x3 = (i: number, o: number, stride = 1) => new Conv2d(i, o, 3, { stride, padding: 1, bias: false });
const conv1x1 = (i: number, o: number, stride = 1) => new Conv2d(i, o, 1, { stride, bias: false });

interface Block extends Module {
  readonly downsample: Sequential | null;
}

/** out = relu(residual(x) + shortcut(x)), shortcut = x or downsample(x). */
function residual(block: Block, x: Tensor, body: (x: Tensor) => Tensor): Tensor {
  const identity = block.downsample ? block.downsample.forward(x) : x;
  const y = body(x);
  const out = F.add(y, identity, { activation: 'relu' });
  y.dispose();
  if (identity !== x) identity.dispose();
  return out;
}

export class BasicBlock extends Module implements Block {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inplanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inplanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = this.registerModule('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    return residual(this, x, (inp) => {
      let y = this.conv1.forward(inp);
      y = step(y, inp, (t) => this.bn1.forwardRelu(t));
      y = step(y, inp, (t) => this.conv2.forward(t));
      return step(y, inp, (t) => this.bn2.forward(t));
    });
  }

  protected inferShape(input: Shape): number[] {
    const s = this.bn2.outputShape(this.conv2.outputShape(this.relu.outputShape(this.bn1.outputShape(this.conv1.outputShape(input)))));
    this.downsample?.outputShape(input);
    return s;
  }
}

export class Bottleneck extends Module implements Block {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu: ReLU;
  readonly downsample: Sequential | null;

  constructor(inplanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = this.registerModule('conv1', conv1x1(inplanes, planes));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, stride));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.conv3 = this.registerModule('conv3', conv1x1(planes, planes * Bottleneck.expansion));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * Bottleneck.expansion));
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    this.downsample = this.registerModule('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    return residual(this, x, (inp) => {
      let y = this.conv1.forward(inp);
      y = step(y, inp, (t) => this.bn1.forwardRelu(t));
      y = step(y, inp, (t) => this.conv2.forward(t));
      y = step(y, inp, (t) => this.bn2.forwardRelu(t));
      y = step(y, inp, (t) => this.conv3.forward(t));
      return step(y, inp, (t) => this.bn3.forward(t));
    });
  }

  protected inferShape(input: Shape): number[] {
    let s = this.bn1.outputShape(this.conv1.outputShape(input));
    s = this.bn2.outputShape(this.conv2.outputShape(s));
    s = this.relu.outputShape(this.bn3.outputShape(this.conv3.outputShape(s)));
    this.downsample?.outputShape(input);
    return s;
  }
}

type BlockClass = (typeof BasicBlock | typeof Bottleneck);

export interface ResNetOptions {
  numClasses?: number;
}

export class ResNet extends Module {
  private static readonly TRUNK = ['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool'];

  constructor(block: BlockClass, layers: [number, number, number, number], opts: ResNetOptions = {}) {
    super();
    this.registerModule('conv1', new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.registerModule('bn1', new BatchNorm2d(64));
    this.registerModule('relu', new ReLU({ inplace: true }));
    this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    let inplanes = 64;
    const makeLayer = (planes: number, blocks: number, stride: number): Sequential => {
      const out = planes * block.expansion;
      const downsample = stride !== 1 || inplanes !== out ? new Sequential(conv1x1(inplanes, out, stride), new BatchNorm2d(out)) : null;
      const list: Module[] = [new block(inplanes, planes, stride, downsample)];
      inplanes = out;
      for (let i = 1; i < blocks; i++) list.push(new block(inplanes, planes));
      return new Sequential(...list);
    };
    this.registerModule('layer1', makeLayer(64, layers[0], 1));
    this.registerModule('layer2', makeLayer(128, layers[1], 2));
    this.registerModule('layer3', makeLayer(256, layers[2], 2));
    this.registerModule('layer4', makeLayer(512, layers[3], 2));
    this.registerModule('avgpool', new AdaptiveAvgPool2d([1, 1]));
    this.registerModule('fc', new Linear(512 * block.expansion, opts.numClasses ?? 1000));
  }

  forward(x: Tensor): Tensor {
    // Sequential-style fusion by hand: conv1 → bn1+relu as one op.
    let y = this.child<Conv2d>('conv1').forward(x);
    y = step(y, x, (t) => this.child<BatchNorm2d>('bn1').forwardRelu(t));
    for (const name of ResNet.TRUNK.slice(3)) y = step(y, x, (t) => this.child(name).forward(t));
    y = step(y, x, (t) => F.flatten(t, 1));
    return step(y, x, (t) => this.child('fc').forward(t));
  }

  protected inferShape(input: Shape): number[] {
    const s = ResNet.TRUNK.reduce<number[]>((acc, name) => this.child(name).outputShape(acc), [...input]);
    return this.child('fc').outputShape([s[0], s[1] * s[2] * s[3]]);
  }
}

export const resnet18 = (opts: ResNetOptions = {}) => new ResNet(BasicBlock, [2, 2, 2, 2], opts);
export const resnet34 = (opts: ResNetOptions = {}) => new ResNet(BasicBlock, [3, 4, 6, 3], opts);
export const resnet50 = (opts: ResNetOptions = {}) => new ResNet(Bottleneck, [3, 4, 6, 3], opts);
export const resnet101 = (opts: ResNetOptions = {}) => new ResNet(Bottleneck, [3, 4, 23, 3], opts);
export const resnet152 = (opts: ResNetOptions = {}) => new ResNet(Bottleneck, [3, 8, 36, 3], opts);
