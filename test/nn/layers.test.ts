// Layers wire their options into the F ops correctly, fuse ReLU without changing results, and Conv2d's
// prepared-weight cache follows weight replacement and forced algorithms.
import { F, nn, Tensor, ConvAlgo } from '../../lib';
import { relErr } from '../helpers/check';

const rand = (shape: number[], seed: number) => Tensor.rand(shape, { seed, low: -1, high: 1 });
const same = (a: Tensor, b: Tensor) => {
  expect([...a.shape]).toEqual([...b.shape]);
  expect(relErr(a.data(), b.data())).toBeLessThanOrEqual(1e-6);
};

describe('layers match the functional ops they wrap', () => {
  test('Conv2d with stride, padding, dilation and groups', () => {
    const conv = new nn.Conv2d(6, 9, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 3 });
    const x = rand([3, 6, 11, 13], 1);
    same(conv.forward(x), F.conv2d(x, conv.weight, conv.bias, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 3 }));
    same(conv.forwardRelu(x), F.relu(F.conv2d(x, conv.weight, conv.bias, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 3 })));
    expect(conv.outputShape(x.shape)).toEqual([...conv.forward(x).shape]);
  });

  test('pools, LRN, BatchNorm (eval), Linear, Dropout (eval), Flatten', () => {
    const x = rand([3, 5, 10, 9], 2);
    const checks: [nn.Module, Tensor][] = [
      [new nn.MaxPool2d(3, { stride: 2, ceilMode: true }), F.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true })],
      [new nn.AvgPool2d(2, { padding: 1, countIncludePad: false }), F.avgPool2d(x, { kernelSize: 2, padding: 1, countIncludePad: false })],
      [new nn.AdaptiveAvgPool2d([4, 3]), F.adaptiveAvgPool2d(x, [4, 3])],
      [new nn.LocalResponseNorm(3, { alpha: 0.5, k: 2 }), F.localResponseNorm(x, { size: 3, alpha: 0.5, k: 2 })],
      [new nn.Flatten(), F.flatten(x, 1)],
      [new nn.Dropout(0.3).eval(), x],
    ];
    for (const [m, want] of checks) {
      same(m.forward(x), want);
      expect(m.outputShape(x.shape)).toEqual([...want.shape]);
    }
    const bn = new nn.BatchNorm2d(5, { eps: 1e-3 });
    bn.loadStateDict({ weight: rand([5], 3), bias: rand([5], 4), running_mean: rand([5], 5), running_var: Tensor.rand([5], { seed: 6, low: 0.5, high: 2 }) }, { strict: false });
    bn.eval();
    same(bn.forward(x), F.batchNorm(x, bn.runningMean!, bn.runningVar!, bn.weight, bn.bias, { eps: 1e-3 }));
    const lin = new nn.Linear(450, 7);
    const flat = F.flatten(x, 1);
    same(lin.forward(flat), F.linear(flat, lin.weight, lin.bias));
    expect(lin.outputShape(flat.shape)).toEqual([3, 7]);
  });

  test('Sequential fuses conv/linear/bn + ReLU with the same result as separate ops', () => {
    const seq = new nn.Sequential(new nn.Conv2d(3, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Conv2d(4, 4, 1), new nn.ReLU()).eval();
    const x = rand([2, 3, 7, 6], 7);
    let y = x;
    for (const m of seq.children()) y = m.forward(y);
    same(seq.forward(x), y);
    expect(x.disposed).toBe(false); // the caller's input is never freed by the forward pass
  });
});

describe('Conv2d algorithms and the prepared-weight cache', () => {
  test('a forced algorithm runs where supported and falls back to auto where not; unknown names throw', () => {
    const conv3 = new nn.Conv2d(8, 8, 3, { padding: 1 });
    const conv1 = new nn.Conv2d(8, 8, 1);
    const x = rand([2, 8, 9, 9], 8);
    for (const c of [conv3, conv1]) c.setAlgorithm('winograd_4x4_3x3');
    expect(conv3.resolveAlgorithm(x.shape)).toBe('winograd_4x4_3x3');
    expect(conv1.resolveAlgorithm(x.shape)).not.toBe('winograd_4x4_3x3');
    same(conv1.forward(x), F.conv2d(x, conv1.weight, conv1.bias));
    expect(relErr(conv3.forward(x).data(), F.conv2d(x, conv3.weight, conv3.bias, { padding: 1, algo: 'direct' }).data())).toBeLessThan(5e-4);
    conv1.setAlgorithm('no_such_algo' as ConvAlgo);
    expect(() => conv1.forward(x)).toThrow(/unknown convolution algorithm 'no_such_algo'/);
  });

  test('loading new weights drops the cached plan', () => {
    const conv = new nn.Conv2d(4, 5, 3);
    const x = rand([1, 4, 6, 6], 9);
    const before = conv.forward(x);
    const w2 = rand([5, 4, 3, 3], 10);
    conv.loadStateDict({ weight: w2, bias: conv.bias! });
    const after = conv.forward(x);
    same(after, F.conv2d(x, w2, conv.bias));
    expect(relErr(after.data(), before.data())).toBeGreaterThan(0.1);
  });
});
