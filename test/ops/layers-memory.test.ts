import { F, Tensor, memory } from '../../lib';

describe('layer ops free everything they allocate', () => {
  test('memory() returns to its start after the ops and dispose, and failed calls leak nothing', () => {
    const start = memory().cpu;
    const x = Tensor.rand([3, 5, 9, 11], { seed: 1 });
    const c = Tensor.rand([5], { seed: 2, low: 0.5, high: 1 });
    const outs = [
      F.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true }),
      F.avgPool2d(x, { kernelSize: 2, padding: 1, countIncludePad: false }),
      F.adaptiveAvgPool2d(x, [4, 5]),
      F.localResponseNorm(x, { size: 3 }),
      F.batchNorm(x, c, c, c, c, { relu: true }),
      F.dropout(x, { p: 0.3, training: true, seed: 4 }),
      F.dropout(x),
      F.softmax(x, 1),
      F.logSoftmax(x, -1),
      F.cat([x, x], 1),
      F.flatten(x),
      F.relu(x),
      F.add(x, x, { relu: true }),
    ];
    const during = memory().cpu;
    expect(during.tensors).toBe(start.tensors + 2 + outs.length - 1); // flatten shares x's storage
    // Calls that fail their checks allocate nothing.
    const c4 = Tensor.rand([4], { seed: 3 });
    const narrow = Tensor.rand([3, 5, 9, 2], { seed: 3 });
    expect(() => F.batchNorm(x, c4, c)).toThrow(/runningMean has 4 elements/);
    expect(() => F.cat([x, narrow], 2)).toThrow(/tensors\[1\] has shape/);
    expect(() => F.maxPool2d(x, { kernelSize: 20 })).toThrow(/output size would be empty/);
    expect(memory().cpu.tensors).toBe(during.tensors + 2);
    for (const t of [...outs, x, c, c4, narrow]) t.dispose();
    expect(memory().cpu).toMatchObject({ tensors: start.tensors, bytes: start.bytes });
  });

  test('exactly back to the start with only disposed tensors', () => {
    const start = memory().cpu;
    const x = Tensor.rand([2, 17, 7, 7], { seed: 5 });
    for (let i = 0; i < 20; i++) {
      const y = F.maxPool2d(x, { kernelSize: 2 });
      const z = F.softmax(y, 1);
      y.dispose();
      z.dispose();
    }
    x.dispose();
    expect(memory().cpu).toMatchObject({ tensors: start.tensors, bytes: start.bytes });
  });
});
