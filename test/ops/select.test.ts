// F.argmax, F.topk and Tensor.item against a plain reference (ties to the lower index, NaN largest).
import { Tensor, F, compile, memory } from '../../lib';

/** The reference: for each (outer, inner) row along `dim`, indices ordered best first. */
function refOrder(data: ArrayLike<number>, shape: number[], dim: number, largest: boolean): { outer: number; inner: number; n: number; rows: number[][] } {
  const d = dim < 0 ? dim + shape.length : dim;
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const n = shape[d];
  const rows: number[][] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const v = (j: number) => data[(o * n + j) * inner + i];
      const idx = Array.from({ length: n }, (_, j) => j);
      idx.sort((a, b) => {
        const na = Number.isNaN(v(a)), nb = Number.isNaN(v(b));
        if (na !== nb) return (largest ? na : nb) ? -1 : 1;
        if (!na && v(a) !== v(b)) return largest ? v(b) - v(a) : v(a) - v(b);
        return a - b;
      });
      rows.push(idx);
    }
  }
  return { outer, inner, n, rows };
}

function withTies(shape: number[], seed: number): Tensor {
  // values from a small set, so ties are common; a few NaNs
  const t = Tensor.rand(shape, { seed, low: 0, high: 5 });
  const d = t.data();
  for (let i = 0; i < d.length; i++) d[i] = i % 97 === 13 ? NaN : Math.floor(d[i]);
  return t;
}

describe('F.argmax', () => {
  test.each([
    [[7], 0], [[3, 5], 1], [[3, 5], 0], [[2, 3, 4, 5], 1], [[2, 3, 4, 5], -1], [[4, 1, 3], 1],
  ])('shape %j dim %d matches the reference (ties: first index; NaN: largest)', (shape, dim) => {
    const x = withTies(shape as number[], 3);
    const { outer, inner, rows } = refOrder(x.data(), shape as number[], dim as number, true);
    const y = F.argmax(x, dim as number);
    const d = (dim as number) < 0 ? (dim as number) + shape.length : (dim as number);
    expect(y.shape).toEqual((shape as number[]).filter((_, i) => i !== d));
    expect(Array.from(y.data())).toEqual(rows.map((r) => r[0]));
    const k = F.argmax(x, dim as number, { keepdim: true });
    expect(k.shape).toEqual((shape as number[]).map((s, i) => (i === d ? 1 : s)));
    expect(outer * inner).toBe(y.numel);
  });

  test('without dim: the index into the flattened tensor, read with item()', () => {
    const x = Tensor.from([3, 1, 9, 9, -2, 0], [2, 3]);
    const i = F.argmax(x);
    expect(i.shape).toEqual([]);
    expect(i.item()).toBe(2);
    expect(F.argmax(x, undefined, { keepdim: true }).shape).toEqual([1, 1]);
    expect(F.argmax(F.softmax(x, 1), 1).data()).toEqual(new Float32Array([2, 0]));
  });

  test('bad arguments are errors naming them', () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => F.argmax(x, 2)).toThrow('argmax: dim 2 is out of range for a 2-D input (shape [2, 3]); expected a value in [-2, 1]');
    expect(() => F.argmax(x, 0.5)).toThrow('argmax: dim must be an integer, got 0.5');
    expect(() => F.argmax(Tensor.zeros([2, 0]), 1)).toThrow('argmax: dimension 1 of [2, 0] is empty');
    expect(() => F.argmax(Tensor.zeros([]), 0)).toThrow(/argmax: expected an input with at least 1 dimension/);
    expect(() => F.argmax([1, 2] as never)).toThrow('argmax: input must be a Tensor, got [1, 2]');
  });

  test('is a plan step: compiled and eager agree', async () => {
    const f = (x: Tensor) => F.argmax(F.relu(x), 1);
    const plan = compile(f, { inputShape: [3, 10] });
    const x = Tensor.rand([3, 10], { seed: 9, low: -1, high: 1 });
    expect(Array.from((await plan.run(x)).data())).toEqual(Array.from(f(x).data()));
    plan.dispose();
  });
});

describe('F.topk', () => {
  test.each([
    [[10], 3, -1, true, true], [[4, 9], 4, 1, true, true], [[4, 9], 2, 0, false, true], [[2, 5, 3], 5, 1, true, false],
    [[2, 5, 3], 0, 1, true, true], [[3, 6, 2, 2], 3, 1, false, false],
  ])('shape %j k=%d dim=%d largest=%s sorted=%s matches the reference', (shape, k, dim, largest, sorted) => {
    const s = shape as number[];
    const x = withTies(s, 5);
    const { outer, inner, n, rows } = refOrder(x.data(), s, dim as number, largest as boolean);
    const { values, indices } = F.topk(x, k as number, { dim: dim as number, largest: largest as boolean, sorted: sorted as boolean });
    const d = (dim as number) < 0 ? (dim as number) + s.length : (dim as number);
    expect(values.shape).toEqual(s.map((v, i) => (i === d ? k : v)));
    expect(indices.shape).toEqual(values.shape);
    const vi = indices.data(), vv = values.data(), xd = x.data();
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let want = rows[o * inner + i].slice(0, k as number);
        if (!sorted) want = want.sort((a, b) => a - b);
        const got = Array.from({ length: k as number }, (_, j) => vi[(o * (k as number) + j) * inner + i]);
        expect(got).toEqual(want);
        for (let j = 0; j < (k as number); j++) {
          expect(Object.is(vv[(o * (k as number) + j) * inner + i], xd[(o * n + want[j]) * inner + i])).toBe(true);
        }
      }
    }
  });

  test('the top-5 of a classifier output, best first', () => {
    const logits = Tensor.from([0.1, 2, -1, 7, 3, 3, 0, 5], [1, 8]);
    const { values, indices } = F.topk(logits, 5);
    expect(Array.from(indices.data())).toEqual([3, 7, 4, 5, 1]);
    expect(Array.from(values.data())).toEqual([7, 5, 3, 3, 2]);
  });

  test('bad arguments are errors naming them; nothing leaks', () => {
    const before = memory().cpu.tensors;
    const x = Tensor.zeros([2, 3]);
    expect(() => F.topk(x, 4)).toThrow('topk: k must be between 0 and 3 (the size of dimension 1 of [2, 3]), got 4');
    expect(() => F.topk(x, -1)).toThrow(/topk: k must be between 0 and 3/);
    expect(() => F.topk(x, 1, { dim: 5 })).toThrow(/topk: dim 5 is out of range/);
    expect(() => F.topk(x, 1.5)).toThrow('topk: k must be an integer, got 1.5');
    expect(() => F.topk(x, 1, { largest: 'yes' as never })).toThrow("topk: largest must be a boolean, got 'yes'");
    x.dispose();
    expect(memory().cpu.tensors).toBe(before);
  });

  test('two outputs cannot be a plan step: compile says so', () => {
    expect(() => compile((x) => F.topk(x, 2).values, { inputShape: [2, 4] })).toThrow(
      'compile: the model cannot be compiled: it calls topk, a native op that cannot be traced, on a tensor computed from the input');
  });
});

describe('Tensor.item', () => {
  test('reads the one element of any one-element shape', () => {
    expect(Tensor.from([2.5], [1, 1, 1]).item()).toBe(2.5);
    expect(Tensor.from([-3], []).item()).toBe(-3);
  });
  test('more than one element is an error naming the shape', () => {
    expect(() => Tensor.zeros([2, 1]).item()).toThrow('item: expected a tensor with one element, got shape [2, 1] (2 elements)');
    expect(() => Tensor.zeros([0]).item()).toThrow(/got shape \[0\] \(0 elements\)/);
  });
});

describe('fused activations: one spelling on every op', () => {
  const a = Tensor.from([-2, -1, 0.5, 3], [1, 4, 1, 1]);
  const b = Tensor.from([1, -1, -1, 1], [1, 4, 1, 1]);
  const ones = Tensor.from([1, 1, 1, 1], [4]), zeros = Tensor.zeros([4]);
  test("activation: 'relu' on add, batchNorm, conv2d and linear; relu: true still works (deprecated)", () => {
    const added = [0, 0, 0, 4];
    expect(Array.from(F.add(a, b, { activation: 'relu' }).data())).toEqual(added);
    expect(Array.from(F.add(a, b, { relu: true }).data())).toEqual(added);
    expect(Array.from(F.add(a, b, { activation: 'none' }).data())).toEqual([-1, -2, -0.5, 4]);
    const bn = (o: F.BatchNormOptions) => Array.from(F.batchNorm(a, zeros, ones, null, null, { eps: 0, ...o }).data());
    expect(bn({ activation: 'relu' })).toEqual([0, 0, 0.5, 3]);
    expect(bn({ relu: true })).toEqual([0, 0, 0.5, 3]);
    expect(Array.from(F.conv2d(a, Tensor.from([1, 1, 1, 1], [1, 4, 1, 1]), null, { activation: 'relu' }).data())).toEqual([0.5]);
    expect(Array.from(F.linear(Tensor.from([-1, 2], [1, 2]), Tensor.from([1, 0, 0, 1], [2, 2]), null, { activation: 'relu' }).data())).toEqual([0, 2]);
  });
  test('a wrong or contradictory activation is an error', () => {
    expect(() => F.add(a, b, { activation: 'gelu' as never })).toThrow("add: activation must be 'none' or 'relu', got 'gelu'");
    expect(() => F.add(a, b, { activation: 'none', relu: true })).toThrow("add: activation 'none' contradicts relu: true");
    expect(() => F.batchNorm(a, zeros, ones, null, null, { relu: 1 as never })).toThrow('batchNorm: relu must be a boolean, got 1');
    expect(() => F.linear(a.reshape([1, 4]), Tensor.zeros([2, 4]), null, { activation: 'tanh' as never })).toThrow("linear: activation must be 'none' or 'relu', got 'tanh'");
    expect(() => F.conv2d(a, Tensor.zeros([1, 4, 1, 1]), null, { activation: 'relu6' as never })).toThrow("conv2d: activation must be 'none' or 'relu', got 'relu6'");
  });
});
