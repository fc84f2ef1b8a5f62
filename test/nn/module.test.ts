// Module bookkeeping: registration order, torch's state_dict order, default init, train/eval, loading.
import { memory, models, nn, Tensor } from '../../lib';

const shapes = (m: nn.Module) => Object.fromEntries([...m.stateDict()].map(([k, t]) => [k, [...t.shape]]));
const values = (t: Tensor) => Array.from(t.data());

describe('layers: torch.nn constructor arguments, defaults and parameter shapes', () => {
  test('Conv2d / Linear / BatchNorm2d shapes and defaults', () => {
    const conv = new nn.Conv2d(6, 8, [3, 5], { stride: 2, padding: [1, 2], groups: 2 });
    expect(conv.weight.shape).toEqual([8, 3, 3, 5]);
    expect(conv.bias!.shape).toEqual([8]);
    expect(conv.dilation).toEqual([1, 1]);
    expect(new nn.Conv2d(3, 4, 1, { bias: false }).bias).toBeNull();
    expect(() => new nn.Conv2d(6, 8, 3, { groups: 4 })).toThrow(/divisible by groups 4/);
    const lin = new nn.Linear(7, 3);
    expect(shapes(lin)).toEqual({ weight: [3, 7], bias: [3] });
    const bn = new nn.BatchNorm2d(5);
    expect(shapes(bn)).toEqual({ weight: [5], bias: [5], running_mean: [5], running_var: [5], num_batches_tracked: [] });
    expect(values(bn.weight!)).toEqual([1, 1, 1, 1, 1]);
    expect(values(bn.bias!)).toEqual([0, 0, 0, 0, 0]);
    expect(values(bn.runningMean!)).toEqual([0, 0, 0, 0, 0]);
    expect(values(bn.runningVar!)).toEqual([1, 1, 1, 1, 1]);
    expect(bn.eps).toBe(1e-5);
    expect(bn.momentum).toBe(0.1);
    const pool = new nn.MaxPool2d(3);
    expect(pool.stride).toEqual([3, 3]);
    expect(new nn.AvgPool2d(2).countIncludePad).toBe(true);
    const lrn = new nn.LocalResponseNorm(5);
    expect([lrn.alpha, lrn.beta, lrn.k]).toEqual([1e-4, 0.75, 1]);
    expect(new nn.Dropout().p).toBe(0.5);
  });

  test('default init is kaiming_uniform(a=√5): U(±1/√fan_in) for weight and bias, seedable', () => {
    nn.init.manualSeed(123);
    const a = new nn.Conv2d(16, 32, 3);
    nn.init.manualSeed(123);
    const b = new nn.Conv2d(16, 32, 3);
    expect(values(a.weight)).toEqual(values(b.weight));
    expect(values(a.bias!)).toEqual(values(b.bias!));
    const c = new nn.Conv2d(16, 32, 3);
    expect(values(c.weight)).not.toEqual(values(a.weight));
    const bound = 1 / Math.sqrt(16 * 9);
    const w = values(a.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w)).toBeGreaterThan(0.95 * bound); // really spans the range
    expect(Math.min(...w)).toBeLessThan(-0.95 * bound);
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(Math.abs(variance / (bound * bound / 3) - 1)).toBeLessThan(0.1);
    expect(Math.max(...values(a.bias!).map(Math.abs))).toBeLessThanOrEqual(bound);
    const lin = new nn.Linear(100, 10);
    expect(Math.max(...values(lin.weight).map(Math.abs))).toBeLessThanOrEqual(0.1);
  });
});

describe('Module bookkeeping', () => {
  test('Sequential names children 0, 1, … in order; named() keeps given names', () => {
    const s = new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.ReLU(), new nn.BatchNorm2d(4));
    expect(s.namedChildren().map(([n, m]) => [n, m.typeName])).toEqual([['0', 'Conv2d'], ['1', 'ReLU'], ['2', 'BatchNorm2d']]);
    expect(s.length).toBe(3);
    expect(s.at(-1).typeName).toBe('BatchNorm2d');
    const n = nn.Sequential.named([['conv0', new nn.Conv2d(3, 4, 1)], ['norm0', new nn.BatchNorm2d(4)]]);
    expect([...n.stateDict().keys()]).toEqual([
      'conv0.weight', 'conv0.bias', 'norm0.weight', 'norm0.bias', 'norm0.running_mean', 'norm0.running_var', 'norm0.num_batches_tracked',
    ]);
  });

  test('namedParameters / namedBuffers / stateDict orders (pre-order, params before buffers)', () => {
    const m = new nn.Sequential(new nn.BatchNorm2d(2), new nn.Sequential(new nn.Conv2d(2, 2, 1)));
    expect(m.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '1.0.weight', '1.0.bias']);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(['0.running_mean', '0.running_var', '0.num_batches_tracked']);
    expect([...m.stateDict().keys()]).toEqual([
      '0.weight', '0.bias', '0.running_mean', '0.running_var', '0.num_batches_tracked', '1.0.weight', '1.0.bias',
    ]);
    expect(m.namedModules().map(([k]) => k)).toEqual(['', '0', '1', '1.0']);
  });

  test('train() / eval() are recursive; BatchNorm2d in training says to call eval()', () => {
    const m = models.resnet18({ numClasses: 3 });
    expect(m.modules().every((x) => x.training)).toBe(true);
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
    const x = Tensor.zeros([1, 3, 8, 8]);
    const bn = new nn.BatchNorm2d(3);
    expect(() => bn.forward(x)).toThrow(/BatchNorm2d: only inference with running statistics is supported.*call model\.eval\(\)/);
    m.dispose();
  });

  test('dispose() frees every parameter and buffer', () => {
    const before = memory().cpu.tensors;
    const m = models.resnet18();
    expect(memory().cpu.tensors).toBeGreaterThan(before + 100);
    m.dispose();
    expect(memory().cpu.tensors).toBe(before);
    expect(m.parameters().every((t) => t.disposed)).toBe(true);
  });

  test('setConvAlgorithm reaches every Conv2d', () => {
    const m = models.googlenet({ numClasses: 3 });
    m.setConvAlgorithm('im2col');
    const convs = m.modules().filter((x): x is nn.Conv2d => x instanceof nn.Conv2d);
    expect(convs.length).toBe(57);
    expect(convs.every((c) => c.algorithm === 'im2col')).toBe(true);
    m.dispose();
  });
});

describe('loadStateDict', () => {
  const build = () => new nn.Sequential(new nn.Conv2d(2, 3, 1), new nn.BatchNorm2d(3));
  const dictOf = (m: nn.Module, scale: number) =>
    new Map([...m.stateDict()].map(([k, t]) => [k, Tensor.from(values(t).map((v, i) => scale * (i + 1) + v), t.shape)]));

  test('copies from a Map or a plain object; later changes to the source do not leak in', () => {
    const m = build();
    const src = dictOf(build(), 10);
    m.loadStateDict(src);
    for (const [k, t] of m.stateDict()) expect(values(t)).toEqual(values(src.get(k)!));
    src.get('0.weight')!.data()[0] = 999;
    expect(m.stateDict().get('0.weight')!.data()[0]).not.toBe(999);
    const other = build();
    other.loadStateDict(Object.fromEntries(src));
    expect(values(other.stateDict().get('1.running_var')!)).toEqual(values(src.get('1.running_var')!));
  });

  test('one error lists every missing, unexpected and mis-shaped key; nothing changes', () => {
    const m = build();
    const before = values(m.stateDict().get('0.bias')!);
    const src = dictOf(build(), 1);
    src.delete('1.running_mean');
    src.delete('0.weight');
    src.set('2.weight', Tensor.zeros([3]));
    src.set('1.bias', Tensor.zeros([4]));
    let msg = '';
    try {
      m.loadStateDict(src);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/missing keys \(2\): 0\.weight, 1\.running_mean/);
    expect(msg).toMatch(/unexpected keys \(1\): 2\.weight/);
    expect(msg).toMatch(/mis-shaped keys \(1\): 1\.bias: checkpoint has \[4\], model has \[3\]/);
    expect(values(m.stateDict().get('0.bias')!)).toEqual(before);
  });

  test('strict=false returns missing/unexpected keys; shape mismatches still throw', () => {
    const m = build();
    const src = dictOf(build(), 1);
    src.delete('0.bias');
    src.set('extra', Tensor.zeros([1]));
    expect(m.loadStateDict(src, { strict: false })).toEqual({ missingKeys: ['0.bias'], unexpectedKeys: ['extra'] });
    expect(values(m.stateDict().get('0.weight')!)).toEqual(values(src.get('0.weight')!));
    src.set('0.weight', Tensor.zeros([1]));
    expect(() => m.loadStateDict(src, { strict: false })).toThrow(/mis-shaped keys \(1\): 0\.weight/);
  });

  test('num_batches_tracked may be absent or extra; non-Tensor values are refused', () => {
    const m = build();
    const src = dictOf(build(), 1);
    src.delete('1.num_batches_tracked');
    src.set('0.num_batches_tracked', Tensor.zeros([]));
    expect(m.loadStateDict(src)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(() => m.loadStateDict({ '0.weight': [1, 2] as never })).toThrow(/value of '0\.weight' is not a Tensor/);
  });

  test("torchvision's legacy DenseNet keys (norm.1, relu.1, conv.2) load", () => {
    const m = models.densenet121({ numClasses: 4 });
    const legacy = new Map<string, Tensor>();
    for (const [k, t] of m.stateDict()) {
      legacy.set(k.replace(/(denselayer\d+\.(?:norm|relu|conv))([12])\./, '$1.$2.'), Tensor.from(values(t).map((v) => v + 0.5), t.shape));
    }
    expect([...legacy.keys()]).toContain('features.denseblock1.denselayer1.norm.1.weight');
    expect([...legacy.keys()]).toContain('features.denseblock4.denselayer16.conv.2.weight');
    m.loadStateDict(legacy);
    expect(values(m.stateDict().get('features.denseblock1.denselayer1.norm1.weight')!)[0]).toBe(1.5);
    m.dispose();
  });

  test('GoogLeNet without aux heads drops aux1.*/aux2.* of a checkpoint that has them', () => {
    const withAux = models.googlenet({ auxLogits: true, numClasses: 5 });
    const plain = models.googlenet({ numClasses: 5 });
    const dict = withAux.stateDict();
    expect([...dict.keys()].some((k) => k.startsWith('aux1.'))).toBe(true);
    expect(plain.loadStateDict(dict)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(plain.stateDict().get('fc.weight')!)).toEqual(values(dict.get('fc.weight')!));
    // the reverse is a real mismatch
    expect(() => withAux.loadStateDict(plain.stateDict())).toThrow(/missing keys \(\d+\): aux1\.conv\.conv\.weight/);
    withAux.dispose();
    plain.dispose();
  });
});

describe('GoogLeNet aux heads', () => {
  test('present only when asked, run only in training (eval gives logits alone)', () => {
    const g = models.googlenet({ auxLogits: true, numClasses: 6 }).eval();
    const x = Tensor.rand([1, 3, 64, 64], { seed: 4, low: -1, high: 1 });
    const out = g.forwardWithAux(x);
    expect(out.logits.shape).toEqual([1, 6]);
    expect(out.aux1).toBeNull();
    expect(out.aux2).toBeNull();
    expect(Array.from(g.forward(x).data())).toEqual(Array.from(out.logits.data()));
    g.train();
    expect(() => g.forwardWithAux(x)).toThrow(/call model\.eval\(\)/);
    expect(models.googlenet().namedChildren().some(([n]) => n.startsWith('aux'))).toBe(false);
    g.dispose();
  });
});
