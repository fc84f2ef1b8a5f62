// F.interpolate against PyTorch's own outputs (scripts/fixtures_interpolate.py, torch 1.13): every mode,
// up/down/odd sizes, antialias on and off, alignCorners, scale factors; plus the properties a resize
// must have and the argument errors torch gives.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { F, Tensor } from '../../lib';
import { expectClose, expectNonTrivial } from '../helpers/check';
import { genF32 } from '../helpers/gen';

interface InputSpec { shape: number[]; seed: number; scale: number }
interface Case { name: string; inputs: InputSpec[]; args: Record<string, any>; shape: number[]; output: number[] }

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ops', 'interpolate.json'), 'utf8'));
const cases: Case[] = fixture.cases;
const input = (s: InputSpec) => Tensor.from(genF32(s.shape.reduce((a, b) => a * b, 1), s.seed, s.scale), s.shape);

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('F.interpolate vs torch', () => {
  test('the fixture covers every mode, antialias and alignCorners', () => {
    expect(cases.length).toBeGreaterThan(60);
    for (const m of ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area']) expect(cases.some((c) => c.args.mode === m)).toBe(true);
    expect(cases.some((c) => c.args.antialias && c.args.alignCorners)).toBe(true);
    expect(cases.some((c) => c.args.scaleFactor !== undefined && c.args.recomputeScaleFactor)).toBe(true);
  });
  cases.forEach((c, i) => {
    test(`#${i} [${c.inputs[0].shape}] ${JSON.stringify(c.args)}`, () => {
      const a = c.args;
      const x = input(c.inputs[0]);
      const y = F.interpolate(x, {
        ...(a.size !== undefined ? { size: a.size } : { scaleFactor: a.scaleFactor, recomputeScaleFactor: a.recomputeScaleFactor }),
        mode: a.mode,
        ...(a.alignCorners !== undefined ? { alignCorners: a.alignCorners } : {}),
        ...(a.antialias ? { antialias: true } : {}),
      });
      if (c.output.length > 2) expectNonTrivial(c.output);
      expectClose(y, { shape: c.shape, data: c.output }, 3e-6, `interpolate ${a.mode}`);
      expect(maxAbs(y.data(), c.output)).toBeLessThan(5e-6);
    });
  });
});

describe('F.interpolate properties', () => {
  test('a constant image stays constant under every filter, down and up', () => {
    const x = Tensor.from(new Float32Array(3 * 37 * 53).fill(0.37), [1, 3, 37, 53]);
    for (const mode of ['bilinear', 'bicubic'] as const)
      for (const antialias of [false, true])
        for (const size of [[5, 7], [80, 41], [37, 53]] as [number, number][]) {
          const y = F.interpolate(x, { size, mode, antialias }).data();
          expect(y.length).toBe(3 * size[0] * size[1]);
          expect(maxAbs(y, new Float32Array(y.length).fill(0.37))).toBeLessThan(1e-6);
        }
  });
  test('same size is the identity; nearest to 2x repeats each pixel', () => {
    const x = Tensor.rand([2, 3, 7, 9], { seed: 4 });
    for (const mode of ['nearest', 'bilinear', 'bicubic'] as const)
      expect(Array.from(F.interpolate(x, { size: [7, 9], mode }).data())).toEqual(Array.from(x.data()));
    const y = F.interpolate(x, { scaleFactor: 2 }).data();
    const xd = x.data();
    expect(y[(0 * 14 + 5) * 18 + 7]).toBe(xd[(0 * 7 + 2) * 9 + 3]);
  });
  test('antialiased downscaling by an integer factor of 2 with bilinear is a 2x2 box average away from the edges', () => {
    // Triangle of support 2 input pixels centred between two pixels: weights 1/8, 3/8, 3/8, 1/8 per axis.
    const W = 16;
    const x = Tensor.rand([1, 1, 1, W], { seed: 9 });
    const y = F.interpolate(Tensor.from(x.data(), [1, 1, 1, W]), { size: [1, W / 2], mode: 'bilinear', antialias: true }).data();
    const xd = x.data();
    for (let o = 1; o < W / 2 - 1; o++) {
      const ref = (xd[2 * o - 1] + 3 * xd[2 * o] + 3 * xd[2 * o + 1] + xd[2 * o + 2]) / 8;
      expect(Math.abs(y[o] - ref)).toBeLessThan(1e-6);
    }
  });
  test("'area' is adaptive average pooling", () => {
    const x = Tensor.rand([1, 2, 9, 7], { seed: 3 });
    expect(Array.from(F.interpolate(x, { size: [4, 3], mode: 'area' }).data())).toEqual(Array.from(F.adaptiveAvgPool2d(x, [4, 3]).data()));
  });
  test('a large image down to 256 on the shorter side (the preset path) gives finite, in-range values', () => {
    const x = Tensor.rand([1, 3, 600, 901], { seed: 5, low: 0, high: 1 });
    const y = F.interpolate(x, { size: [256, 384], mode: 'bilinear', antialias: true });
    expect(y.shape).toEqual([1, 3, 256, 384]);
    const d = y.data();
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of d) (lo = Math.min(lo, v)), (hi = Math.max(hi, v)); // NaN fails both bounds below
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
  });
});

describe('F.interpolate argument errors name the argument', () => {
  const x = Tensor.rand([1, 1, 4, 4], { seed: 1 });
  test.each([
    [{ mode: 'bilinear' }, /exactly one of size and scaleFactor/],
    [{ size: 2, scaleFactor: 2 }, /exactly one of size and scaleFactor/],
    [{ size: 2, mode: 'linear' }, /mode must be one of/],
    [{ size: 2, mode: 'nearest', alignCorners: false }, /alignCorners can only be set/],
    [{ size: 2, mode: 'nearest', antialias: true }, /antialias is only supported/],
    [{ size: 0, mode: 'bilinear' }, /output size must be positive/],
    [{ size: [2, -1], mode: 'bicubic' }, /output size must be positive/],
    [{ size: 2.5 }, /size must be an integer/],
    [{ scaleFactor: -1 }, /scaleFactor must be a positive number/],
    [{ scaleFactor: 0.1 }, /gives an empty output/],
    [{ size: 2, antialias: 'yes', mode: 'bilinear' }, /antialias must be a boolean/],
  ])('%j', (opts, msg) => {
    expect(() => F.interpolate(x, opts as any)).toThrow(msg);
  });
  test('3-D input is rejected with its shape', () => {
    expect(() => F.interpolate(Tensor.rand([1, 4, 4], { seed: 1 }), { size: 2 })).toThrow(/4-D input.*\[1, 4, 4\]/);
  });
});
