// The channel-blocked (NCHWc) ops of native/dispatch/ops_blocked.h through their test hook (napi/blocked.cc):
// for every op, fromBlocked(op(toBlocked(x))) must equal the NCHW op (itself tested against PyTorch), on
// channel counts that are not multiples of the block, odd sizes, both blocks (8 and 16) on every ISA path,
// and the pools' real configurations in torchvision's networks. Pad lanes must be exactly 0 after every op.
import { F, Tensor, getNumThreads, setNumThreads } from '../../lib';
import { native, NativeBlockedOp } from '../../lib/native';
import { relErr } from '../helpers/check';
import { forEachIsa } from '../helpers/isa';

const blockedOp = (op: NativeBlockedOp, xs: Tensor[], options: Record<string, unknown> = {}): Tensor =>
  new Tensor(native.blockedOp(op, xs.map((t) => t.handle), options));
const toBlocked = (x: Tensor, block: number) => blockedOp('toBlocked', [x], { block });
const fromBlocked = (xb: Tensor, channels: number) => blockedOp('fromBlocked', [xb], { channels });

// Storage of n floats full of NaN, freed: the caching allocator hands it to the next output of that size,
// so an op that leaves any element (a pad lane) unwritten shows it as NaN.
function poison(n: number): void {
  Tensor.from(new Float32Array(n).fill(NaN), [n]).dispose();
}

/** Every pad lane (channel >= C of the last block) is +0, and nothing is NaN. */
function expectBlockedClean(xb: Tensor, C: number): void {
  const [N, CB, H, W, B] = xb.shape;
  expect(CB).toBe(Math.ceil(C / B));
  const d = xb.data();
  for (let i = 0; i < d.length; i++) if (Number.isNaN(d[i])) throw new Error(`NaN at flat index ${i} of ${xb.shape}`);
  for (let n = 0; n < N; n++)
    for (let p = 0; p < H * W; p++)
      for (let l = C - (CB - 1) * B; l < B; l++) {
        const v = d[(((n * CB + CB - 1) * H * W) + p) * B + l];
        if (!Object.is(v, 0)) throw new Error(`pad lane ${l} of pixel ${p} (image ${n}) holds ${v}`);
      }
}

function expectBitExact(out: Tensor, ref: Tensor, what: string): void {
  expect([...out.shape]).toEqual([...ref.shape]);
  const a = out.data();
  const b = ref.data();
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`${what}: element ${i} is ${a[i]}, NCHW op gives ${b[i]}`);
  }
}

function expectNear(out: Tensor, ref: Tensor, what: string): void {
  expect([...out.shape]).toEqual([...ref.shape]);
  const err = relErr(out.data(), ref.data());
  if (!(err <= 1e-6)) throw new Error(`${what}: relative error ${err} against the NCHW op`);
}

/** Runs op on toBlocked(x) (poisoned output), checks its pad lanes and returns it in NCHW. */
function viaBlocked(xs: Tensor[], B: number, C: number, run: (xbs: Tensor[]) => Tensor, outNumel: number): Tensor {
  const xbs = xs.map((x) => toBlocked(x, B));
  poison(outNumel);
  const yb = run(xbs);
  expectBlockedClean(yb, C);
  return fromBlocked(yb, C);
}
/** x·scale[c] + shift[c] (then ReLU) per channel of an NCHW tensor, in JavaScript: the affine ops' reference. */
function mapChannels(x: Tensor, scale: number[], shift: number[], relu: boolean): Tensor {
  const [, C, H, W] = x.shape;
  const xd = x.data();
  const out = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    const c = Math.floor(i / (H * W)) % C;
    const v = xd[i] * scale[c] + shift[c];
    out[i] = relu ? Math.max(v, 0) : v;
  }
  return Tensor.from(out, [...x.shape]);
}
const blockedNumel = (N: number, C: number, H: number, W: number, B: number) => N * Math.ceil(C / B) * H * W * B;

const channelCounts = [1, 3, 17, 33, 40];
const blocks = [8, 16];
let seed = 1;
const rand = (shape: number[]) => Tensor.rand(shape, { seed: seed++, low: -1, high: 1 });

type P2 = [number, number];
interface MaxCase { name: string; kernelSize: P2; stride: P2; padding: P2; dilation: P2; ceilMode: boolean }
const mp = (name: string, k: number | P2, s: number | P2, p: number | P2, ceilMode: boolean, d: number | P2 = 1): MaxCase => {
  const pr = (v: number | P2): P2 => (typeof v === 'number' ? [v, v] : v);
  return { name, kernelSize: pr(k), stride: pr(s), padding: pr(p), dilation: pr(d), ceilMode };
};
const maxCases: MaxCase[] = [
  mp('GoogLeNet 3x3/2 ceil', 3, 2, 0, true),
  mp('ResNet 3x3/2 pad 1', 3, 2, 1, false),
  mp('GoogLeNet branch4 3x3/1 pad 1 ceil', 3, 1, 1, true),
  mp('2x2/2', 2, 2, 0, false),
  mp('dilated [3,2]/[1,2] pad 1 ceil', [3, 2], [1, 2], [1, 1], true, [2, 1]),
  mp('dilated along W [1,3]/[2,1] pad [0,1] ceil', [1, 3], [2, 1], [0, 1], true, [3, 3]),
  mp('wide 5x17/3 pad [2,8] (wider than the separable ring)', [5, 17], [3, 3], [2, 8], false),
];
const avgCases: { name: string; kernelSize: P2; stride: P2; padding: P2; ceilMode: boolean; countIncludePad: boolean }[] = [
  { name: 'DenseNet 2x2/2', kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true },
  { name: '3x3/2 pad 1 ceil, pad counted (clipped ceil windows)', kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true, countIncludePad: true },
  { name: '3x3/2 pad 1 ceil, pad not counted', kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true, countIncludePad: false },
  { name: '3x3/1 pad 1 ceil', kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], ceilMode: true, countIncludePad: false },
  { name: '[3,2]/[2,1] pad [1,0]', kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], ceilMode: false, countIncludePad: true },
];

forEachIsa(() => {
  for (const B of blocks) {
    describe(`block ${B}`, () => {
      test.each(channelCounts)('reorders round-trip bit-exact, pad lanes 0 (C = %i)', (C) => {
        for (const [N, H, W] of [[2, 7, 11], [1, 1, 1], [1, 5, 37]]) {
          const x = rand([N, C, H, W]);
          poison(blockedNumel(N, C, H, W, B));
          const xb = toBlocked(x, B);
          expect([...xb.shape]).toEqual([N, Math.ceil(C / B), H, W, B]);
          expectBlockedClean(xb, C);
          // element (n, c, h, w) sits at [n][c / B][h][w][c % B]
          const d = xb.data();
          const xd = x.data();
          const c = C - 1;
          const at = (((0 * Math.ceil(C / B) + Math.floor(c / B)) * H + (H - 1)) * W + (W - 1)) * B + (c % B);
          expect(d[at]).toBe(xd[((0 * C + c) * H + H - 1) * W + W - 1]);
          expectBitExact(fromBlocked(xb, C), x, 'fromBlocked(toBlocked(x))');
        }
      });

      test.each(channelCounts)('maxPool2d equals the NCHW op bit for bit (C = %i)', (C) => {
        for (const [H, W] of [[9, 11], [13, 7]]) {
          const x = rand([2, C, H, W]);
          for (const c of maxCases) {
            const { name, ...o } = c;
            const ref = F.maxPool2d(x, o);
            const out = viaBlocked([x], B, C, ([xb]) => blockedOp('maxPool2d', [xb], o), blockedNumel(2, C, ref.shape[2], ref.shape[3], B));
            expectBitExact(out, ref, `${name} on ${H}x${W}`);
          }
        }
      });

      test.each(channelCounts)('avgPool2d matches the NCHW op (C = %i)', (C) => {
        for (const [H, W] of [[9, 11], [8, 7]]) {
          const x = rand([2, C, H, W]);
          for (const c of avgCases) {
            const { name, ...o } = c;
            const ref = F.avgPool2d(x, o);
            const out = viaBlocked([x], B, C, ([xb]) => blockedOp('avgPool2d', [xb], o), blockedNumel(2, C, ref.shape[2], ref.shape[3], B));
            expectNear(out, ref, `${name} on ${H}x${W}`);
          }
        }
      });

      test.each(channelCounts)('adaptiveAvgPool2d matches the NCHW op (C = %i)', (C) => {
        for (const [[H, W], size] of [[[7, 7], [1, 1]], [[13, 13], [6, 6]], [[6, 6], [6, 6]], [[5, 9], [6, 4]]] as [P2, P2][]) {
          const x = rand([2, C, H, W]);
          const ref = F.adaptiveAvgPool2d(x, size);
          const out = viaBlocked([x], B, C, ([xb]) => blockedOp('adaptiveAvgPool2d', [xb], { outputSize: size }), blockedNumel(2, C, size[0], size[1], B));
          expectNear(out, ref, `adaptive ${H}x${W} → ${size}`);
        }
      });

      test.each(channelCounts)('relu and add(+relu) equal the NCHW ops bit for bit (C = %i)', (C) => {
        const shape = [2, C, 5, 9];
        const a = rand(shape);
        const b = rand(shape);
        const n = blockedNumel(2, C, 5, 9, B);
        expectBitExact(viaBlocked([a], B, C, ([ab]) => blockedOp('relu', [ab]), n), F.relu(a), 'relu');
        for (const relu of [false, true]) {
          const ref = F.add(a, b, { activation: relu ? 'relu' : 'none' });
          expectBitExact(viaBlocked([a, b], B, C, (xs) => blockedOp('add', xs, { relu }), n), ref, `add relu=${relu}`);
        }
      });

      test.each(channelCounts)('affine(+relu) matches x·scale + shift (C = %i)', (C) => {
        const [N, H, W] = [2, 7, 5];
        const x = rand([N, C, H, W]);
        const scale = Array.from({ length: C }, (_, c) => 0.5 + 0.1 * c);
        const shift = Array.from({ length: C }, (_, c) => 0.25 - 0.03 * c);
        for (const relu of [false, true]) {
          const out = viaBlocked([x], B, C, ([xb]) => blockedOp('affine', [xb], { scale, shift, relu }), blockedNumel(N, C, H, W, B));
          expectNear(out, mapChannels(x, scale, shift, relu), `affine relu=${relu}`);
        }
      });

      const catCases = [[17, 32, 5], [3, 16, 1, 40], [8, 8], [16, 16, 16], [33], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]];
      test.each(catCases.map((c) => [c.join('+'), c]))('cat of %s channels equals the NCHW cat bit for bit', (_name, channels) => {
        const cs = channels as number[];
        const [N, H, W] = [2, 5, 7];
        const parts = cs.map((C) => rand([N, C, H, W]));
        const C = cs.reduce((s, c) => s + c, 0);
        const out = viaBlocked(parts, B, C, (xbs) => blockedOp('cat', xbs, { channels: cs }), blockedNumel(N, C, H, W, B));
        expectBitExact(out, F.cat(parts, 1), 'cat');
      });

      // DenseNet's transition after compile()'s poolFirst: cat → BN (+ ReLU) → 2×2/2 (or 3×3/3) average pool in one
      // pass; aligned parts are read in place, others concatenated first.
      test.each([[[32, 16, 5], [2, 2], true], [[17, 3], [2, 2], false], [[40], [3, 3], true], [[16, 8, 8], [2, 2], true]])(
        'affineAvgPool of %p channels, window %p, relu %p equals cat → affine → avgPool2d', (cs, win, relu) => {
          const [N, H, W] = [2, 9, 11];
          const parts = (cs as number[]).map((C) => rand([N, C, H, W]));
          const C = (cs as number[]).reduce((a, c) => a + c, 0);
          const scale = Array.from({ length: C }, (_, c) => 0.5 + (c % 7) / 7);
          const shift = Array.from({ length: C }, (_, c) => ((c % 5) - 2) / 4);
          const [kh, kw] = win as number[];
          const ref = F.avgPool2d(mapChannels(F.cat(parts, 1), scale, shift, relu as boolean), { kernelSize: [kh, kw] });
          const out = viaBlocked(parts, B, C, (xbs) => blockedOp('affineAvgPool', xbs, { channels: cs, scale, shift, relu, window: win }),
            blockedNumel(N, C, Math.floor(H / kh), Math.floor(W / kw), B));
          expectNear(out, ref, 'affineAvgPool');
        });
    });
  }
});

describe('each parallel region is sized by its work', () => {
  const pool3s2 = { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], ceilMode: false };
  test('tiny blocked ops run on the caller alone; a ResNet-sized pool and reorder use the threads', () => {
    const prev = getNumThreads();
    setNumThreads(2);
    try {
      const tiny = rand([1, 8, 7, 7]);
      const tb = toBlocked(tiny, 8);
      native.poolTrace(true);
      toBlocked(tiny, 8);
      fromBlocked(tb, 8);
      blockedOp('maxPool2d', [tb], pool3s2);
      blockedOp('avgPool2d', [tb], { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true });
      blockedOp('adaptiveAvgPool2d', [tb], { outputSize: [1, 1] });
      blockedOp('add', [tb, tb], { relu: true });
      blockedOp('affine', [tb], { scale: new Array(8).fill(2), shift: new Array(8).fill(1) });
      blockedOp('cat', [tb, tb], { channels: [8, 8] });
      const tinyRecords = native.poolTrace(false);
      expect(tinyRecords.length).toBe(8); // one region per op
      for (const r of tinyRecords) expect(r[2]).toBe(1);
      const big = rand([1, 64, 112, 112]);
      native.poolTrace(true);
      const bb = toBlocked(big, 16);
      blockedOp('maxPool2d', [bb], pool3s2);
      const records = native.poolTrace(false);
      expect(records.length).toBe(2);
      for (const r of records) expect(r[2]).toBe(2);
    } finally {
      setNumThreads(prev);
    }
  });
});

describe('blocked ops refuse bad input by name', () => {
  const x4 = Tensor.rand([1, 3, 4, 4], { seed: 7 });
  const xb = toBlocked(x4, 8);
  test('a 4-D tensor to a blocked op', () => {
    expect(() => blockedOp('relu', [x4])).toThrow(/relu: expected input to be a 5-D blocked tensor .*got \[1, 3, 4, 4\]/);
    expect(() => blockedOp('maxPool2d', [x4], { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false }))
      .toThrow(/maxPool2d: expected input to be a 5-D blocked tensor/);
  });
  test('a block other than 8 or 16', () => {
    const b12 = Tensor.zeros([1, 1, 4, 4, 12]);
    expect(() => blockedOp('relu', [b12])).toThrow(/relu: input's channel block \(last dimension\) must be 8 or 16, got 12/);
    expect(() => toBlocked(x4, 12)).toThrow(/toBlocked: block must be 8 or 16, got 12/);
  });
  test('add of different shapes', () => {
    const other = toBlocked(Tensor.rand([1, 3, 4, 5], { seed: 8 }), 8);
    expect(() => blockedOp('add', [xb, other])).toThrow(/add: shapes differ: a is \[1, 1, 4, 4, 8\] and b is \[1, 1, 4, 5, 8\]/);
  });
  test('affine with a wrong scale length', () => {
    expect(() => blockedOp('affine', [xb], { scale: new Array(9).fill(1), shift: new Array(9).fill(0) }))
      .toThrow(/affine: scale length 9 does not match 1 channel blocks of 8/);
    expect(() => blockedOp('affine', [xb], { scale: [1, 1, 1], shift: [0, 0] })).toThrow(/affine: scale has 3 values but shift has 2/);
  });
  test('channel counts that do not fit the blocks', () => {
    expect(() => fromBlocked(xb, 9)).toThrow(/fromBlocked: channels 9 does not match 1 channel blocks of 8/);
    expect(() => blockedOp('cat', [xb, xb], { channels: [3, 12] })).toThrow(/cat: channels\[1\] 12 does not match/);
    const b16 = toBlocked(x4, 16);
    expect(() => blockedOp('cat', [xb, b16], { channels: [3, 3] })).toThrow(/cat: parts\[1\] has shape .* but parts\[0\] has shape/);
  });
  test('options: unknown keys, wrong types, unknown op', () => {
    expect(() => blockedOp('relu', [xb], { relu: true })).toThrow(/relu: unknown option 'relu'/);
    expect(() => blockedOp('toBlocked', [x4], { block: 8, blok: 1 })).toThrow(/toBlocked: unknown option 'blok'/);
    expect(() => blockedOp('nope' as NativeBlockedOp, [xb])).toThrow(/blockedOp: unknown op 'nope'/);
    expect(() => blockedOp('add', [xb])).toThrow(/add: expected 2 tensor\(s\), got 1/);
  });
  test('a max pool window wholly in the padding', () => {
    const tiny = toBlocked(Tensor.rand([1, 3, 2, 2], { seed: 9 }), 8);
    expect(() => blockedOp('maxPool2d', [tiny], { kernelSize: [3, 3], stride: [4, 4], padding: [1, 1], dilation: [3, 3], ceilMode: true }))
      .toThrow(/maxPool2d: a window lies wholly in the padding/);
  });
  test('the process survives and the ops still work', () => {
    expectBitExact(fromBlocked(blockedOp('relu', [xb]), 3), F.relu(x4), 'relu after errors');
  });
});
