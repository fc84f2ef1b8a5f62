// GoogLeNet (Szegedy et al. 2014, Inception v1) as torchvision 0.14 builds it: BasicConv2d = conv + BN
// (eps 1e-3) + ReLU, ceil-mode max-pools, and — as torchvision does (pytorch/vision#906) — a 3×3 conv in
// the branch the paper calls "5×5". Aux heads exist only with auxLogits and only run in training mode.
import * as F from '../functional';
import { Module, step } from '../nn/module';
import { Shape, Tensor } from '../tensor';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Conv2dLayerOptions, Dropout, Linear, MaxPool2d, Sequential } from '../nn';

export class BasicConv2d extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Conv2dLayerOptions = {}) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(inChannels, outChannels, kernelSize, { ...opts, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm2d(outChannels, { eps: 0.001 }));
  }

  forward(x: Tensor): Tensor {
    return step(this.conv.forward(x), x, (t) => this.bn.forwardRelu(t));
  }

  protected inferShape(input: Shape): number[] {
    return this.bn.outputShape(this.conv.outputShape(input));
  }
}

/** Four parallel branches — 1×1; 1×1→3×3; 1×1→3×3 ("5×5"); 3×3 max-pool→1×1 — concatenated on channels. */
export class Inception extends Module {
  readonly branch1: BasicConv2d;
  readonly branch2: Sequential;
  readonly branch3: Sequential;
  readonly branch4: Sequential;

  constructor(inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number) {
    super();
    this.branch1 = this.registerModule('branch1', new BasicConv2d(inChannels, ch1x1, 1));
    this.branch2 = this.registerModule('branch2', new Sequential(
      new BasicConv2d(inChannels, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 })));
    this.branch3 = this.registerModule('branch3', new Sequential(
      new BasicConv2d(inChannels, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 })));
    this.branch4 = this.registerModule('branch4', new Sequential(
      new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }), new BasicConv2d(inChannels, poolProj, 1)));
  }

  private get branches(): Module[] {
    return [this.branch1, this.branch2, this.branch3, this.branch4];
  }

  forward(x: Tensor): Tensor {
    const outs = this.branches.map((b) => b.forward(x));
    const y = F.cat(outs, 1);
    outs.forEach((t) => t.dispose());
    return y;
  }

  protected inferShape(input: Shape): number[] {
    const outs = this.branches.map((b) => b.outputShape(input));
    return [input[0], outs.reduce((c, s) => c + s[1], 0), outs[0][2], outs[0][3]];
  }
}

/** The auxiliary classifier: 4×4 average pool, 1×1 conv to 128, two fully connected layers. */
export class InceptionAux extends Module {
  readonly conv: BasicConv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly dropout: Dropout;

  constructor(inChannels: number, numClasses: number, dropout = 0.7) {
    super();
    this.conv = this.registerModule('conv', new BasicConv2d(inChannels, 128, 1));
    this.fc1 = this.registerModule('fc1', new Linear(2048, 1024));
    this.fc2 = this.registerModule('fc2', new Linear(1024, numClasses));
    this.dropout = this.registerModule('dropout', new Dropout(dropout));
  }

  forward(x: Tensor): Tensor {
    let y = F.adaptiveAvgPool2d(x, [4, 4]);
    y = step(y, x, (t) => this.conv.forward(t));
    y = step(y, x, (t) => F.flatten(t, 1));
    y = step(y, x, (t) => this.fc1.forwardRelu(t));
    y = step(y, x, (t) => this.dropout.forward(t));
    return step(y, x, (t) => this.fc2.forward(t));
  }

  protected inferShape(input: Shape): number[] {
    const c = this.conv.outputShape([input[0], input[1], 4, 4]);
    return this.fc2.outputShape(this.fc1.outputShape([c[0], c[1] * c[2] * c[3]]));
  }
}

export interface GoogLeNetOptions {
  numClasses?: number;
  /** Build the two auxiliary classifiers (aux1 after inception4a, aux2 after inception4d). Default false. */
  auxLogits?: boolean;
  /** Map ImageNet-normalised input to the (x − 0.5)/0.5 scaling the original weights were trained on. */
  transformInput?: boolean;
  dropout?: number;
  dropoutAux?: number;
}

export interface GoogLeNetOutputs {
  logits: Tensor;
  aux2: Tensor | null;
  aux1: Tensor | null;
}

// torchvision's _transform_input: x_c · (std_c / 0.5) + (mean_c − 0.5) / 0.5 per channel.
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export class GoogLeNet extends Module {
  readonly auxLogits: boolean;
  readonly transformInput: boolean;
  readonly aux1: InceptionAux | null;
  readonly aux2: InceptionAux | null;

  constructor(opts: GoogLeNetOptions = {}) {
    super();
    const numClasses = opts.numClasses ?? 1000;
    this.auxLogits = opts.auxLogits ?? false;
    this.transformInput = opts.transformInput ?? false;
    const reg = (name: string, m: Module) => this.registerModule(name, m);
    reg('conv1', new BasicConv2d(3, 64, 7, { stride: 2, padding: 3 }));
    reg('maxpool1', new MaxPool2d(3, { stride: 2, ceilMode: true }));
    reg('conv2', new BasicConv2d(64, 64, 1));
    reg('conv3', new BasicConv2d(64, 192, 3, { padding: 1 }));
    reg('maxpool2', new MaxPool2d(3, { stride: 2, ceilMode: true }));
    reg('inception3a', new Inception(192, 64, 96, 128, 16, 32, 32));
    reg('inception3b', new Inception(256, 128, 128, 192, 32, 96, 64));
    reg('maxpool3', new MaxPool2d(3, { stride: 2, ceilMode: true }));
    reg('inception4a', new Inception(480, 192, 96, 208, 16, 48, 64));
    reg('inception4b', new Inception(512, 160, 112, 224, 24, 64, 64));
    reg('inception4c', new Inception(512, 128, 128, 256, 24, 64, 64));
    reg('inception4d', new Inception(512, 112, 144, 288, 32, 64, 64));
    reg('inception4e', new Inception(528, 256, 160, 320, 32, 128, 128));
    reg('maxpool4', new MaxPool2d(2, { stride: 2, ceilMode: true }));
    reg('inception5a', new Inception(832, 256, 160, 320, 32, 128, 128));
    reg('inception5b', new Inception(832, 384, 192, 384, 48, 128, 128));
    this.aux1 = this.auxLogits ? this.registerModule('aux1', new InceptionAux(512, numClasses, opts.dropoutAux ?? 0.7)) : null;
    this.aux2 = this.auxLogits ? this.registerModule('aux2', new InceptionAux(528, numClasses, opts.dropoutAux ?? 0.7)) : null;
    reg('avgpool', new AdaptiveAvgPool2d([1, 1]));
    reg('dropout', new Dropout(opts.dropout ?? 0.2));
    reg('fc', new Linear(1024, numClasses));
  }

  /** The trunk in order; the aux heads tap the trunk after inception4a and inception4d. */
  private static readonly TRUNK = [
    'conv1', 'maxpool1', 'conv2', 'conv3', 'maxpool2', 'inception3a', 'inception3b', 'maxpool3',
    'inception4a', 'inception4b', 'inception4c', 'inception4d', 'inception4e', 'maxpool4', 'inception5a', 'inception5b', 'avgpool',
  ];

  /** Logits, plus the aux heads' logits when the model has them and is training (as torchvision). */
  forwardWithAux(x: Tensor): GoogLeNetOutputs {
    let y = this.transformInput ? this.transform(x) : x;
    let aux1: Tensor | null = null;
    let aux2: Tensor | null = null;
    const runAux = this.training && this.auxLogits;
    for (const name of GoogLeNet.TRUNK) {
      y = step(y, x, (t) => this.child(name).forward(t));
      if (runAux && name === 'inception4a') aux1 = this.aux1!.forward(y);
      if (runAux && name === 'inception4d') aux2 = this.aux2!.forward(y);
    }
    y = step(y, x, (t) => F.flatten(t, 1));
    y = step(y, x, (t) => this.child('dropout').forward(t));
    return { logits: step(y, x, (t) => this.child('fc').forward(t)), aux2, aux1 };
  }

  forward(x: Tensor): Tensor {
    return this.forwardWithAux(x).logits;
  }

  /** Per-channel affine map written as an inference batch norm (mean 0, var 1, eps 0): exactly x·scale + shift. */
  private transform(x: Tensor): Tensor {
    const scale = Tensor.from(STD.map((s) => s / 0.5), [3]);
    const shift = Tensor.from(MEAN.map((m) => (m - 0.5) / 0.5), [3]);
    const zero = Tensor.zeros([3]);
    const one = Tensor.from([1, 1, 1], [3]);
    try {
      return F.batchNorm(x, zero, one, scale, shift, { eps: 0 });
    } finally {
      [scale, shift, zero, one].forEach((t) => t.dispose());
    }
  }

  /** Checkpoints with aux heads (torchvision's ImageNet weights) load into a model built without them. */
  protected override adaptStateKey(key: string, own: ReadonlySet<string>): string | null {
    if (!this.auxLogits && /^aux[12]\./.test(key)) return null;
    return super.adaptStateKey(key, own);
  }

  protected inferShape(input: Shape): number[] {
    let s: number[] = [...input];
    for (const name of GoogLeNet.TRUNK) {
      s = this.child(name).outputShape(s);
      // the aux heads only run in training (as in forward), so only then do they count in summary()'s MACs
      if (this.training && this.auxLogits && name === 'inception4a') this.aux1!.outputShape(s);
      if (this.training && this.auxLogits && name === 'inception4d') this.aux2!.outputShape(s);
    }
    s = this.child('dropout').outputShape([s[0], s[1] * s[2] * s[3]]);
    return this.child('fc').outputShape(s);
  }
}

export function googlenet(opts: GoogLeNetOptions = {}): GoogLeNet {
  return new GoogLeNet(opts);
}
