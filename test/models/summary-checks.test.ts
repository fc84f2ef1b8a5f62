// summary() checks shapes exactly as forward() does: for every layer type, over inputs that forward()
// accepts and ones it rejects, summary() gives forward()'s output shape, or forward()'s error message
// prefixed with the layer that raised it.
import * as models from '../../lib/models';
import { nn, summary, Tensor } from '../../lib';

type Case = [label: string, make: () => nn.Module, inputs: number[][]];

const cases: Case[] = [
  ['Conv2d 3→4 k5', () => new nn.Conv2d(3, 4, 5), [[1, 3, 9, 9], [1, 3, 4, 9], [1, 2, 9, 9], [3, 9, 9], [2, 3, 5, 5]]],
  ['Conv2d groups, stride, dilation', () => new nn.Conv2d(4, 6, 3, { stride: [2, 1], padding: 1, dilation: 2, groups: 2 }), [[1, 4, 7, 7], [1, 4, 2, 2], [1, 6, 7, 7], [1, 4, 3, 9]]],
  ["Conv2d padding 'same'", () => new nn.Conv2d(2, 2, [3, 2], { padding: 'same' }), [[1, 2, 5, 4], [1, 2, 1, 1], [1, 3, 5, 4]]],
  ['MaxPool2d k3 s2', () => new nn.MaxPool2d(3, { stride: 2 }), [[1, 2, 7, 7], [1, 2, 2, 2], [1, 2, 3, 1], [2, 7, 7]]],
  ['MaxPool2d ceil, padding', () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), [[1, 1, 6, 6], [1, 1, 1, 1], [1, 1, 0, 4]]],
  ['MaxPool2d padding > k/2', () => new nn.MaxPool2d(2, { padding: 2 }), [[1, 1, 8, 8]]],
  ['AvgPool2d k2', () => new nn.AvgPool2d(2, { ceilMode: true, countIncludePad: false }), [[1, 3, 5, 5], [1, 3, 1, 5], [1, 3, 5]]],
  ['AdaptiveAvgPool2d 2', () => new nn.AdaptiveAvgPool2d(2), [[1, 3, 5, 7], [1, 3, 0, 7], [3, 5, 7]]],
  ['BatchNorm2d 3', () => new nn.BatchNorm2d(3).eval(), [[2, 3, 4, 4], [2, 4, 4, 4], [2, 3, 4]]],
  ['LocalResponseNorm 3', () => new nn.LocalResponseNorm(3), [[1, 5, 2, 2], [1, 5, 2], [5, 2]]],
  ['Linear 6→2', () => new nn.Linear(6, 2), [[3, 6], [3, 5], [6], [2, 3, 6]]],
  ['Flatten 1..2', () => new nn.Flatten(1, 2), [[2, 3, 4, 5], [2, 3], [2]]],
  ['ReLU / Dropout', () => new nn.Sequential(new nn.ReLU(), new nn.Dropout(0.5)).eval(), [[2, 3], [7]]],
  ['resnet18 (residual blocks)', () => models.resnet18({ numClasses: 3 }).eval(), [[1, 3, 32, 32], [1, 3, 8, 8], [1, 1, 32, 32]]],
  ['alexnet', () => models.alexnet({ numClasses: 3 }).eval(), [[1, 3, 63, 63], [1, 3, 32, 32]]],
];

function outcome(f: () => number[]): { shape?: number[]; error?: string } {
  try {
    return { shape: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('summary() fails exactly where forward() fails', () => {
  for (const [label, make, inputs] of cases) {
    test.each(inputs.map((s) => [s]))(`${label}: input %j`, (input) => {
      const m = make();
      const x = Tensor.zeros(input);
      const fwd = outcome(() => {
        const y = m.forward(x);
        const s = [...y.shape];
        y.dispose();
        return s;
      });
      const sum = outcome(() => summary(m, input).outputShape);
      if (fwd.shape) {
        expect(sum).toEqual({ shape: fwd.shape });
      } else {
        expect(sum.error).toBeDefined();
        // summary(Model, [input]): layer 'name' (Type) with input [..]: <forward's message>
        const m2 = /^summary\(\w+, \[[\d, ]*\]\): layer '([\w.]+)' \((\w+)\) with input \[[\d, ]*\]: (.*)$/s.exec(sum.error!);
        expect(m2).not.toBeNull();
        expect(m2![3]).toBe(fwd.error);
      }
      x.dispose();
      m.dispose();
    });
  }

  test("the issue's case: alexnet at 32×32 names features.12 (MaxPool2d)", () => {
    expect(() => summary(models.alexnet(), [1, 3, 32, 32])).toThrow(
      "summary(AlexNet, [1, 3, 32, 32]): layer 'features.12' (MaxPool2d) with input [1, 256, 1, 1]: maxPool2d: output size would be empty " +
      '(input 1×1, kernel 3×3, stride 2×2, padding 0×0, dilation 1×1, ceilMode false give 0×0)');
  });

  test('every case table entry exercises both outcomes somewhere (the table is not all-pass or all-fail)', () => {
    let ok = 0, bad = 0;
    for (const [, make, inputs] of cases) {
      const m = make();
      for (const s of inputs) (outcome(() => summary(m, s).outputShape).shape ? ok++ : bad++);
      m.dispose();
    }
    expect(ok).toBeGreaterThan(10);
    expect(bad).toBeGreaterThan(10);
  });
});
