// Every convolution algorithm against the float64 reference on awkward shapes, on every ISA path,
// through both F.conv2d (per-call weight preparation) and a ConvPlan (prepared once, run twice).
import { Tensor, F, ConvPlan, convAlgorithms, ConvAlgorithmName } from '../../lib';
import { expectClose, expectNonTrivial } from '../helpers/check';
import { forEachIsa } from '../helpers/isa';
import { refConv2d, RefTensor } from '../reference/conv';
import { convCases, refOptions, tolerance, ConvCase } from './cases';

const algos: ConvAlgorithmName[] = ['direct', 'im2col', 'implicit_gemm', 'gemm_1x1', 'winograd_2x2_3x3', 'winograd_4x4_3x3', 'direct_nchwc'];

interface Prepared { x: Tensor; w: Tensor; b: Tensor; ref: RefTensor }
const prepared = new Map<string, Prepared>();
function setup(c: ConvCase, i: number): Prepared {
  let p = prepared.get(c.name);
  if (!p) {
    const x = Tensor.rand(c.input, { seed: 100 + i, low: -1, high: 1 });
    const w = Tensor.rand(c.weight, { seed: 200 + i, low: -0.5, high: 0.5 });
    const b = Tensor.rand([c.weight[0]], { seed: 300 + i, low: -0.5, high: 0.5 });
    const ref = refConv2d(x.data(), c.input, w.data(), c.weight, b.data(), refOptions(c));
    expectNonTrivial(ref.data);
    p = { x, w, b, ref };
    prepared.set(c.name, p);
  }
  return p;
}

const desc = (c: ConvCase) => ({ input: c.input, weight: c.weight, ...c.opts });

describe('registry', () => {
  test('lists the seven algorithms in order, with reasons for the unsupported', () => {
    const list = convAlgorithms({ input: [1, 5, 6, 6], weight: [7, 5, 1, 1], padding: 1 });
    expect(list.map((a) => a.name)).toEqual(algos);
    const one = list.find((a) => a.name === 'gemm_1x1')!;
    expect(one.supported).toBe(false);
    expect(one.reason).toMatch(/padding 0/);
    const wino = list.find((a) => a.name === 'winograd_4x4_3x3')!;
    expect(wino.reason).toMatch(/3x3 kernel, got 1x1/);
    expect(list.find((a) => a.name === 'direct')!.supported).toBe(true);
    expect(list.find((a) => a.name === 'im2col')!.workspaceBytes).toBeGreaterThan(0);
  });

  test('every case is run by at least direct and im2col; the special ones by their algorithms', () => {
    const runs = (name: string) => convCases.filter((c) => convAlgorithms(desc(c)).find((a) => a.name === name)!.supported).length;
    expect(runs('direct')).toBe(convCases.length);
    expect(runs('im2col')).toBe(convCases.length);
    expect(runs('gemm_1x1')).toBeGreaterThanOrEqual(3);
    expect(runs('winograd_2x2_3x3')).toBeGreaterThanOrEqual(8);
    expect(runs('winograd_4x4_3x3')).toBe(runs('winograd_2x2_3x3'));
  });
});

forEachIsa(() => {
  convCases.forEach((c, i) => {
    describe(c.name, () => {
      const support = convAlgorithms(desc(c));
      for (const algo of algos) {
        const s = support.find((a) => a.name === algo)!;
        if (s.supported) {
          test(`${algo} matches the reference`, () => {
            const { x, w, b, ref } = setup(c, i);
            const y = F.conv2d(x, w, b, { ...c.opts, algo });
            expectClose(y, ref, tolerance[algo], `${algo} ${c.name}`);
            // A prepared plan gives the same result on every run (weights packed once).
            const plan = new ConvPlan(w, b, c.input, { ...c.opts, algo });
            expect(plan.algo).toBe(algo);
            const y1 = plan.run(x);
            const y2 = plan.run(x);
            expectClose(y1, ref, tolerance[algo], `${algo} plan ${c.name}`);
            expect(Array.from(y2.data())).toEqual(Array.from(y1.data()));
            y.dispose(); y1.dispose(); y2.dispose();
          });
        } else {
          test(`${algo} refuses with the reason`, () => {
            const { x, w, b } = setup(c, i);
            expect(s.reason.length).toBeGreaterThan(0);
            const escaped = s.reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            expect(() => F.conv2d(x, w, b, { ...c.opts, algo })).toThrow(new RegExp(`cannot run this convolution: ${escaped}`));
          });
        }
      }
      test('auto and find pick supported algorithms and match the reference', () => {
        const { x, w, b, ref } = setup(c, i);
        const ok = support.filter((a) => a.supported).map((a) => a.name);
        for (const algo of ['auto', 'find'] as const) {
          const plan = new ConvPlan(w, b, c.input, { ...c.opts, algo });
          expect(ok).toContain(plan.algo);
          expectClose(plan.run(x), ref, tolerance[plan.algo], `${algo}→${plan.algo} ${c.name}`);
          expectClose(F.conv2d(x, w, b, { ...c.opts, algo }), ref, tolerance[plan.algo], `F ${algo} ${c.name}`);
        }
      });
    });
  });
});

test('bias is optional and ReLU is applied only when asked', () => {
  const c = convCases[0];
  const { x, w } = setup(c, 0);
  const ref = refConv2d(x.data(), c.input, w.data(), c.weight, null, { pad: [1, 1, 1, 1] });
  const refRelu = refConv2d(x.data(), c.input, w.data(), c.weight, null, { pad: [1, 1, 1, 1], relu: true });
  for (const algo of algos.filter((a) => a !== 'gemm_1x1')) {
    expectClose(F.conv2d(x, w, null, { padding: 1, algo }), ref, tolerance[algo], algo);
    expectClose(F.conv2d(x, w, undefined, { padding: 1, algo, activation: 'relu' }), refRelu, tolerance[algo], algo);
  }
  expect(Array.from(ref.data).some((v) => v < 0)).toBe(true);
});
