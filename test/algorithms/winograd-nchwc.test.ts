// Winograd F(4×4) and F(2×2) reading and writing the channel-blocked layout (native/cpu/conv_winograd.h
// WinoIO), as BlockedConv runs them in compiled blocked plans, through the blockedConvProbe test hook: the
// kernel BlockedConv picks, every input/output form, ReLU, residual, input affine and concatenated parts against
// the float64 reference, on every ISA path and both blocks, and bit-identity with the NCHW Winograd (the
// same tiles and GEMMs: only the copy in and the store out differ). Allocations are NaN-poisoned under the
// test environment (helpers/poison.js): an output element nobody writes fails, and pad lanes must be 0.
import { Tensor, F } from '../../lib';
import { native, NativeBlockedConvKernel } from '../../lib/native';
import { BlockedRun, ConvData, blocked, checkResidual, convData, nchwOutput, probeConv, probeOptions, reluOf, unblocked } from '../helpers/blocked';
import type { ConvLayer } from '../helpers/blocked';
import { relErr } from '../helpers/check';
import { forEachIsa } from '../helpers/isa';
import { refConv2d, RefTensor } from '../reference/conv';
import { tolerance } from './cases';

type Layer = ConvLayer & { kernel: NativeBlockedConvKernel };
// 3×3 stride 1, C ≥ 64 (BlockedConv's Winograd range): odd sizes, channel counts off the blocks, batch 2.
const layers: Layer[] = ([
  { name: 'C64→K17 13×11 p1', N: 1, C: 64, H: 13, W: 11, K: 17, pad: 1, kernel: 'winograd_4x4_3x3' },
  { name: 'C65→K64 15×29 p1 batch 2', N: 2, C: 65, H: 15, W: 29, K: 64, pad: 1, kernel: 'winograd_4x4_3x3' },
  { name: 'C100→K70 7×7 p1', N: 1, C: 100, H: 7, W: 7, K: 70, pad: 1, kernel: 'winograd_2x2_3x3' },
  { name: 'C64→K70 28×28 p1', N: 1, C: 64, H: 28, W: 28, K: 70, pad: 1, kernel: 'winograd_4x4_3x3' },
  { name: 'C100→K70 9×13 p0 (7×11 out)', N: 1, C: 100, H: 9, W: 13, K: 70, pad: 0, kernel: 'winograd_2x2_3x3' },
] as Omit<Layer, 'R' | 'S' | 'stride'>[]).map((l) => ({ ...l, R: 3, S: 3, stride: 1 }));

type Run = BlockedRun;
const options = probeOptions;
const probe = probeConv;
function kernelOf(l: Layer, w: Tensor, B: number): string {
  const x = Tensor.zeros([l.N, l.C, l.H, l.W]);
  return native.blockedConvProbe(x.handle, w.handle, null, { ...options(l, { inputBlocked: false, outputBlocked: false, B }), kernelName: true });
}

function check(y: Tensor, l: Layer, ref: RefTensor, r: Run, what: string): void {
  const tol = tolerance[r.kernel && r.kernel !== 'auto' ? r.kernel : l.kernel];
  const got = nchwOutput(y, ref.shape, r.outputBlocked, r.B);
  const err = relErr(got, ref.data);
  if (!(err <= tol)) throw new Error(`${l.name} ${what}: relative L2 error ${err.toExponential(3)} exceeds ${tol}`);
}

const cache = new Map<string, ConvData>();
function data(l: Layer, i: number): ConvData {
  if (!cache.has(l.name)) cache.set(l.name, convData(l, 110 + i));
  return cache.get(l.name)!;
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const other = (k: NativeBlockedConvKernel): NativeBlockedConvKernel => (k === 'winograd_4x4_3x3' ? 'winograd_2x2_3x3' : 'winograd_4x4_3x3');

test('BlockedConv picks Winograd for 3×3 stride-1 layers of ≥ 64 input channels (F(2×2) under 8×8 outputs from K 64)', () => {
  const pick = (C: number, H: number, W: number, stride = 1, R = 3, pad = 1, K = 16) => {
    const w = Tensor.zeros([K, C, R, R]);
    const x = Tensor.zeros([1, C, H, W]);
    return native.blockedConvProbe(x.handle, w.handle, null, {
      stride: [stride, stride], padding: [pad, pad], dilation: [1, 1], groups: 1, block: 8, kernelName: true });
  };
  expect(pick(64, 14, 14)).toBe('winograd_4x4_3x3');
  expect(pick(64, 8, 8)).toBe('winograd_4x4_3x3');
  expect(pick(512, 7, 7, 1, 3, 1, 64)).toBe('winograd_2x2_3x3');
  expect(pick(64, 9, 9, 1, 3, 0, 64)).toBe('winograd_2x2_3x3');  // 7×7 outputs
  expect(pick(128, 7, 7, 1, 3, 1, 32)).toBe('direct_nchwc');  // DenseNet's 128→32 on 7²
  expect(pick(63, 28, 28)).toBe('direct_nchwc');
  expect(pick(64, 28, 28, 2)).toBe('direct_nchwc');
  expect(pick(64, 28, 28, 1, 1, 0)).toBe('direct_nchwc');
  expect(pick(64, 28, 28, 1, 5, 2)).toBe('direct_nchwc');
});

forEachIsa(() => {
  for (const B of [8, 16]) {
    describe(`block ${B}`, () => {
      layers.forEach((l, i) => {
        test(`${l.name}: ${l.kernel}, every input/output form, ReLU and the other variant match the reference`, () => {
          const { x, w, b, ref } = data(l, i);
          expect(kernelOf(l, w, B)).toBe(l.kernel);
          const xb = blocked(x.data(), [l.N, l.C, l.H, l.W], B);
          for (const inputBlocked of [false, true])
            for (const outputBlocked of [false, true]) {
              const r: Run = { input: inputBlocked ? xb : x, inputBlocked, outputBlocked, B };
              check(probe(l, w, b, r), l, ref, r, `in ${inputBlocked ? 'blocked' : 'NCHW'} out ${outputBlocked ? 'blocked' : 'NCHW'}`);
            }
          const relu: Run = { input: xb, inputBlocked: true, outputBlocked: true, B, relu: true };
          check(probe(l, w, b, relu), l, { shape: ref.shape, data: reluOf(ref.data) }, relu, 'relu');
          const forced: Run = { input: xb, inputBlocked: true, outputBlocked: true, B, kernel: other(l.kernel) };
          check(probe(l, w, b, forced), l, ref, forced, `forced ${forced.kernel}`);
        });
      });

      test('residual added before the ReLU, in either output layout', () => {
        for (const i of [1, 2]) {
          const l = layers[i];
          const d = data(l, i);
          checkResidual(l, d, B, 140, (r) => probe(l, d.w, d.b, r), (y, want, r, what) => check(y, l, want, r, what));
        }
      });

      test('input affine + ReLU applies to real pixels only: padding stays 0', () => {
        const l = layers[0];
        const { x, w, b } = data(l, 0);
        const scale = Tensor.rand([l.C], { seed: 150, low: 0.5, high: 1.5 });
        const shift = Tensor.rand([l.C], { seed: 151, low: 0.5, high: 1 });  // positive: a padded pixel mapped would show
        const xs = x.data(), sc = scale.data(), sh = shift.data();
        const mapped = new Float32Array(xs.length);
        for (let k = 0; k < xs.length; k++) {
          const c = Math.floor(k / (l.H * l.W)) % l.C;
          mapped[k] = Math.max(0, xs[k] * sc[c] + sh[c]);
        }
        const ref = refConv2d(mapped, [l.N, l.C, l.H, l.W], w.data(), [l.K, l.C, 3, 3], b.data(),
          { stride: [1, 1], pad: [l.pad, l.pad, l.pad, l.pad] });
        for (const inputBlocked of [false, true]) {
          const r: Run = { input: inputBlocked ? blocked(xs, [l.N, l.C, l.H, l.W], B) : x, inputBlocked, outputBlocked: true, B,
            affine: { scale, shift, relu: true } };
          check(probe(l, w, b, r), l, ref, r, `affine in ${inputBlocked ? 'blocked' : 'NCHW'}`);
        }
      });

      test('concatenated blocked parts read in place', () => {
        const l = layers[2];  // C 100 = 64 + 36
        const { x, w, b, ref } = data(l, 2);
        const xs = x.data(), plane = l.H * l.W;
        const first = blocked(xs.subarray(0, 64 * plane), [1, 64, l.H, l.W], B);
        const rest = blocked(xs.subarray(64 * plane), [1, 36, l.H, l.W], B);
        const r: Run = { parts: [first, rest], channels: [64, 36], inputBlocked: true, outputBlocked: true, B };
        check(probe(l, w, b, r), l, ref, r, 'parts');
      });

      test('bit-identical to the NCHW Winograd (no residual: the same arithmetic)', () => {
        for (const i of [1, 3]) {
          const l = layers[i];
          const { x, w, b } = data(l, i);
          for (const kernel of ['winograd_4x4_3x3', 'winograd_2x2_3x3'] as const) {
            const want = F.conv2d(x, w, b, { padding: l.pad, algo: kernel, activation: 'relu' }).data();
            const xb = blocked(x.data(), [l.N, l.C, l.H, l.W], B);
            const nchw = probe(l, w, b, { input: x, inputBlocked: false, outputBlocked: false, B, relu: true, kernel }).data();
            expect(bytes(nchw).equals(bytes(want))).toBe(true);
            const blk = probe(l, w, b, { input: xb, inputBlocked: true, outputBlocked: true, B, relu: true, kernel });
            const got = unblocked(blk, l.K).data;
            expect(bytes(got).equals(bytes(want))).toBe(true);
          }
        }
      });
    });
  }
});
