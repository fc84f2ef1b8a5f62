// The direct NCHWc convolution (native/cpu/conv_nchwc.h) in its blocked forms, through the blockedConvProbe test
// hook (dispatch's BlockedConv): every ISA path, blocks 8 and 16, blocked and NCHW input and output, residual,
// input affine (BN + ReLU) with padding, concatenated parts, against the float64 reference. The test suite
// poisons every allocation with NaN (helpers/poison.js), so an output element the kernel never writes fails.
import { Tensor } from '../../lib';
import { native, NativeBlockedConvProbe } from '../../lib/native';
import { BlockedRun, ConvData, blocked, checkResidual, convData, nchwOutput, probeConv, reluOf } from '../helpers/blocked';
import type { ConvLayer } from '../helpers/blocked';
import { relErr } from '../helpers/check';
import { forEachIsa } from '../helpers/isa';
import { refConv2d, RefTensor } from '../reference/conv';
import { tolerance } from './cases';

const tol = tolerance.direct_nchwc;

type Layer = ConvLayer;
const layers: Layer[] = [
  { name: 'C3→K7 3×3 p1, 9×11, batch 2', N: 2, C: 3, H: 9, W: 11, K: 7, R: 3, S: 3, stride: 1, pad: 1 },
  { name: 'C5→K17 5×5/2 p2, 13×15', N: 1, C: 5, H: 13, W: 15, K: 17, R: 5, S: 5, stride: 2, pad: 2 },
  { name: 'C17→K40 1×1, 7×29 (OW longer than a run, read in place)', N: 1, C: 17, H: 7, W: 29, K: 40, R: 1, S: 1, stride: 1, pad: 0 },
  { name: 'C33→K17 3×3 p1, 5×5 (OW shorter than a run)', N: 2, C: 33, H: 5, W: 5, K: 17, R: 3, S: 3, stride: 1, pad: 1 },
  { name: 'C17→K7 1×1/2, 9×9', N: 1, C: 17, H: 9, W: 9, K: 7, R: 1, S: 1, stride: 2, pad: 0 },
  { name: 'C3→K17 7×7/2 p3, 23×27 (stem)', N: 1, C: 3, H: 23, W: 27, K: 17, R: 7, S: 7, stride: 2, pad: 3 },
  { name: 'C3→K7 11×11/4 p2, 31×35 (AlexNet stem)', N: 1, C: 3, H: 31, W: 35, K: 7, R: 11, S: 11, stride: 4, pad: 2 },
  { name: 'C33→K40 3×3/2 p1, 15×13', N: 1, C: 33, H: 15, W: 13, K: 40, R: 3, S: 3, stride: 2, pad: 1 },
  { name: 'C40→K33 3×3 p0, 9×30 (no padding: in place)', N: 1, C: 40, H: 9, W: 30, K: 33, R: 3, S: 3, stride: 1, pad: 0 },
  { name: 'C260→K70 3×3 p1, 5×7 (AVX-512: 4 blocks × 7 pixels, then a 1-block tail)', N: 1, C: 260, H: 5, W: 7, K: 70, R: 3, S: 3, stride: 1, pad: 1 },
  { name: 'C16→K32 3×3/4 p1, 6×6 (whole blocks)', N: 1, C: 16, H: 6, W: 6, K: 32, R: 3, S: 3, stride: 4, pad: 1 },
  // The 1×1 tile: 1×1/1 unpadded planes run as one row of H·W pixels cut into flatRow() rows (7²: one row of 49;
  // 14²: rows of 28; 28²: rows of 56), C and K not multiples of the block (a partial last input block, a 1-block tail).
  { name: 'C260→K70 1×1, 7×7 (flattened: one row of 49; AVX-512: 4 × 7 tiles)', N: 1, C: 260, H: 7, W: 7, K: 70, R: 1, S: 1, stride: 1, pad: 0 },
  { name: 'C200→K70 1×1, 14×14, batch 2 (flattened)', N: 2, C: 200, H: 14, W: 14, K: 70, R: 1, S: 1, stride: 1, pad: 0 },
  { name: 'C200→K70 1×1, 28×28 (flattened)', N: 1, C: 200, H: 28, W: 28, K: 70, R: 1, S: 1, stride: 1, pad: 0 },
  { name: 'C200→K70 1×1/2, 28×28 (pixel step 2, read in place)', N: 2, C: 200, H: 28, W: 28, K: 70, R: 1, S: 1, stride: 2, pad: 0 },
  { name: 'C40→K33 1×1/2 p1, 9×9 (pixel step 2 on a padded gather)', N: 1, C: 40, H: 9, W: 9, K: 33, R: 1, S: 1, stride: 2, pad: 1 },
];

type Run = BlockedRun;
const probe = probeConv;

function check(y: Tensor, l: Layer, ref: RefTensor, r: Run, what: string): void {
  const err = relErr(nchwOutput(y, ref.shape, r.outputBlocked, r.B), ref.data);
  if (!(err <= tol)) throw new Error(`${what}: relative L2 error ${err.toExponential(3)} exceeds ${tol}`);
}

const cache = new Map<string, ConvData>();
function data(l: Layer, i: number): ConvData {
  if (!cache.has(l.name)) cache.set(l.name, convData(l, 10 + i));
  return cache.get(l.name)!;
}

forEachIsa(() => {
  for (const B of [8, 16]) {
    describe(`block ${B}`, () => {
      layers.forEach((l, i) => {
        test(`${l.name}: every input/output form matches the reference`, () => {
          const { x, w, b, ref } = data(l, i);
          const xb = blocked(x.data(), [l.N, l.C, l.H, l.W], B);
          for (const inputBlocked of [false, true])
            for (const outputBlocked of [false, true]) {
              const r: Run = { input: inputBlocked ? xb : x, inputBlocked, outputBlocked, B };
              check(probe(l, w, b, r), l, ref, r, `in ${inputBlocked ? 'blocked' : 'NCHW'} out ${outputBlocked ? 'blocked' : 'NCHW'}`);
            }
          const relu = { input: xb, inputBlocked: true, outputBlocked: true, B, relu: true };
          check(probe(l, w, b, relu), l, { shape: ref.shape, data: reluOf(ref.data) }, relu, 'relu');
        });
      });

      test.each([3, 12])('residual added before the ReLU, in either output layout (layer %i)', (li) => {
        const l = layers[li];
        checkResidual(l, data(l, li), B, 40, (r) => probe(l, data(l, li).w, data(l, li).b, r),
          (y, want, r, what) => check(y, l, want, r, what));
      });

      // layer 7: 3×3/2 p1, C 33; layer 11: 1×1 on 7², C 260 (the vectorized affine row, a partial last block at B 16)
      test.each([7, 11])('input affine + ReLU applies to real pixels only: padding stays 0 (layer %i)', (li) => {
        const l = layers[li];
        const { x, w, b } = data(l, li);
        const scale = Tensor.rand([l.C], { seed: 50, low: 0.5, high: 1.5 });
        const shift = Tensor.rand([l.C], { seed: 51, low: 0.5, high: 1 });  // positive: a padded pixel mapped would show
        const xs = x.data(), sc = scale.data(), sh = shift.data();
        const hw = l.H * l.W;
        const mapped = Float64Array.from(xs, (v, k) => Math.max(0, v * sc[Math.floor(k / hw) % l.C] + sh[Math.floor(k / hw) % l.C]));
        const ref = refConv2d(mapped, [l.N, l.C, l.H, l.W], w.data(), [l.K, l.C, l.R, l.S], b.data(),
          { stride: [l.stride, l.stride], pad: [l.pad, l.pad, l.pad, l.pad] });
        const affine = { scale, shift, relu: true };
        for (const inputBlocked of [false, true]) {
          const input = inputBlocked ? blocked(xs, [l.N, l.C, l.H, l.W], B) : x;
          const r: Run = { input, inputBlocked, outputBlocked: true, B, affine };
          check(probe(l, w, b, r), l, ref, r, `affine, input ${inputBlocked ? 'blocked' : 'NCHW'}`);
        }
      });

      test('concatenated blocked parts, with and without padding', () => {
        const channels = B === 16 ? [16, 32, 5] : [8, 16, 5];
        const C = channels.reduce((a, c) => a + c, 0);
        for (const [R, pad] of [[1, 0], [3, 1]]) {
          const l: Layer = { name: 'cat', N: 2, C, H: 5, W: 13, K: 19, R, S: R, stride: 1, pad };
          const x = Tensor.rand([l.N, C, l.H, l.W], { seed: 60 + R, low: -1, high: 1 });
          const w = Tensor.rand([l.K, C, R, R], { seed: 61, low: -0.5, high: 0.5 });
          const ref = refConv2d(x.data(), [l.N, C, l.H, l.W], w.data(), [l.K, C, R, R], null, { pad: [pad, pad, pad, pad] });
          const xs = x.data(), hw = l.H * l.W;
          let c0 = 0;
          const parts = channels.map((ci) => {
            const part = new Float32Array(l.N * ci * hw);
            for (let n = 0; n < l.N; n++) part.set(xs.subarray((n * C + c0) * hw, (n * C + c0 + ci) * hw), n * ci * hw);
            c0 += ci;
            return blocked(part, [l.N, ci, l.H, l.W], B);
          });
          for (const outputBlocked of [false, true]) {
            const r: Run = { parts, channels, inputBlocked: true, outputBlocked, B };
            check(probe(l, w, null, r), l, ref, r, `cat ${R}×${R} out ${outputBlocked ? 'blocked' : 'NCHW'}`);
          }
        }
      });
    });
  }
});

describe('bad inputs name what is wrong', () => {
  const l = layers[0];
  const w = Tensor.rand([l.K, l.C, 3, 3], { seed: 1 });
  const run = (x: Tensor | null, r: Partial<NativeBlockedConvProbe>, weight = w) =>
    native.blockedConvProbe(x ? x.handle : null, weight.handle, null,
      { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, block: 8, inputBlocked: true, ...r });
  test('wrong channels', () => {
    expect(() => run(Tensor.rand([1, 4, 9, 11]), { inputBlocked: false })).toThrow(/input must be NCHW with 3 channels, got \[1, 4, 9, 11\]/);
    expect(() => run(Tensor.rand([1, 2, 9, 11, 8]), {})).toThrow(/input has 2 channel blocks, 3 channels need 1/);
  });
  test('wrong block', () => {
    expect(() => run(Tensor.rand([1, 1, 9, 11, 16]), {})).toThrow(/input has block 16 but the layer's block is 8/);
    expect(() => run(Tensor.rand([1, 1, 9, 11, 12]), { block: 12 as 8 })).toThrow(/block must be 8 or 16, got 12/);
  });
  test('groups > 1 and dilation are declined with the reason', () => {
    const wg = Tensor.rand([4, 2, 3, 3], { seed: 2 });
    expect(() => run(Tensor.rand([1, 1, 9, 11, 8]), { groups: 2 }, wg)).toThrow(/cannot run this convolution: groups 1, got 2/);
    expect(() => run(Tensor.rand([1, 1, 9, 11, 8]), { dilation: [2, 2] })).toThrow(/dilation 1, got 2x2/);
  });
  test('residual of the wrong shape, parts that split a block', () => {
    expect(() => run(Tensor.rand([1, 1, 9, 11, 8]), { outputBlocked: true, residual: Tensor.rand([1, 7, 9, 11]).handle }))
      .toThrow(/residual has shape \[1, 7, 9, 11\] but the output's is \[1, 1, 9, 11, 8\]/);
    const w5 = Tensor.rand([7, 6, 3, 3], { seed: 3 });
    const parts = [Tensor.rand([1, 1, 9, 11, 8]), Tensor.rand([1, 1, 9, 11, 8])];
    expect(() => run(null, { parts: parts.map((p) => p.handle), channels: [3, 3] }, w5))
      .toThrow(/part 0 has 3 channels, not a multiple of the block 8/);
  });
});
