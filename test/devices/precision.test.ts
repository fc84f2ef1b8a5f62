// Tensor cores (TF32 / BF16 / FP16, implicit_gemm_tc and the packed GEMM) and CUDA graphs on the device
// against the CPU's fp32 result. Bounds (relative L2): tf32 5e-3, bf16 2e-2, fp16 5e-3 per layer; and a
// floor: a reduced precision that agrees with fp32 to better than 1e-5 did not run on tensor cores.
// Without a GPU the device cases are reported as skipped; the host-side checks (the registry, the CPU's
// refusal) run everywhere.
import { forEachAccelerator, rnd } from '../helpers/devices';
import { F, Tensor, compile, convAlgorithms, memory, nn } from '../../lib';
import type { Precision } from '../../lib';
import { relErr } from '../helpers/check';

const TOL: Record<string, number> = { tf32: 5e-3, bf16: 2e-2, fp16: 5e-3 };
const PRECISIONS: Precision[] = ['tf32', 'bf16', 'fp16'];

// floor: a forced tensor-core op must show its rounding; a compiled plan measures each layer and may keep a
// faster fp32 algorithm, so it is checked against the bound only.
function within(name: string, got: Tensor, ref: Tensor, prec: string, floor = true): void {
  const err = relErr(got.data(), ref.data());
  if (!(err <= TOL[prec])) throw new Error(`${name}: relative L2 error ${err.toExponential(3)} exceeds ${TOL[prec]}`);
  if (floor && !(err >= 1e-6)) throw new Error(`${name}: error ${err.toExponential(3)} — looks like fp32, not ${prec}`);
}

describe('precision on the host (no GPU needed)', () => {
  test('the CUDA registry lists implicit_gemm_tc: declined for fp32 with the reason, supported for bf16', () => {
    const desc = { input: [1, 16, 8, 8], weight: [32, 16, 3, 3], padding: 1 };
    const fp32 = convAlgorithms(desc, 'cuda').find((a) => a.name === 'implicit_gemm_tc')!;
    expect(fp32.supported).toBe(false);
    expect(fp32.reason).toMatch(/precision 'tf32', 'bf16' or 'fp16'/);
    const bf16 = convAlgorithms({ ...desc, precision: 'bf16' }, 'cuda').find((a) => a.name === 'implicit_gemm_tc')!;
    expect(bf16.supported).toBe(true);
  });
  test('a deep, narrow layer splits k: its workspace is the partial sums', () => {
    // ResNet-50 layer4 3×3 at batch 1: 7×7 pixels, 512 channels, depth 4608 → 8 blocks of 64×64, 72 k-tiles
    // of 64 (bf16).
    const desc = { input: [1, 512, 7, 7], weight: [512, 512, 3, 3], padding: 1, precision: 'bf16' as Precision };
    const tc = convAlgorithms(desc, 'cuda').find((a) => a.name === 'implicit_gemm_tc')!;
    expect(tc.supported).toBe(true);
    // splits = min(ceil(264 / 8), 72 / 4, 16) = 16 → ranges of ceil(72 / 16) = 5 k-tiles → 15 ranges:
    // 15 · 512 · 49 partial sums
    expect(tc.workspaceBytes).toBe(15 * 512 * 49 * 4);
  });
  test('the CPU refuses reduced precisions, naming the op and the precision', () => {
    const x = rnd([1, 3, 5, 5], 1), w = rnd([4, 3, 3, 3], 2);
    expect(() => F.conv2d(x, w, null, { precision: 'bf16' })).toThrow(/conv2d: precision 'bf16' runs on CUDA tensor cores only/);
    expect(() => F.linear(rnd([2, 3], 3), rnd([4, 3], 4), null, { precision: 'tf32' })).toThrow(/linear: precision 'tf32'/);
    expect(() => F.matmul(rnd([2, 3], 3), rnd([3, 4], 4), { precision: 'fp16' })).toThrow(/matmul: precision 'fp16'/);
    expect(() => F.conv2d(x, w, null, { precision: 'int8' as Precision })).toThrow(/precision must be 'fp32', 'tf32', 'bf16' or 'fp16', got 'int8'/);
    expect(() => compile((t: Tensor) => F.relu(t), { inputShape: [1, 3, 5, 5], precision: 'bf16' })).toThrow(/compile: precision 'bf16' runs on CUDA/);
    // fp32 stays the default and unchanged on the CPU
    const a = F.conv2d(x, w, null, { precision: 'fp32' }), b = F.conv2d(x, w, null);
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
  });
});

interface ConvShape { label: string; x: number[]; w: number[]; opts: Record<string, unknown> }
const convShapes: ConvShape[] = [
  { label: 'N3 C5 9x11 K7 3x3 p1', x: [3, 5, 9, 11], w: [7, 5, 3, 3], opts: { padding: 1 } },
  { label: 'N2 C33 15x17 K70 3x3 same', x: [2, 33, 15, 17], w: [70, 33, 3, 3], opts: { padding: 'same' } },
  { label: 'N2 C6 13x7 K9 5x3 s[2,3] p[2,1] d[1,2] g3', x: [2, 6, 13, 7], w: [9, 2, 5, 3], opts: { stride: [2, 3], padding: [2, 1], dilation: [1, 2], groups: 3 } },
  { label: 'N3 C17 10x13 K19 1x1 s2', x: [3, 17, 10, 13], w: [19, 17, 1, 1], opts: { stride: 2 } },
  { label: 'N1 C512 7x7 K512 3x3 p1 (k split)', x: [1, 512, 7, 7], w: [512, 512, 3, 3], opts: { padding: 1 } },
  { label: 'N4 C64 56x56 K64 3x3 p1 (128x128 tiles)', x: [4, 64, 56, 56], w: [64, 64, 3, 3], opts: { padding: 1 } },
  { label: 'N2 C3 67x61 K64 11x11 s4 p2 (stem)', x: [2, 3, 67, 61], w: [64, 3, 11, 11], opts: { stride: 4, padding: 2 } },
];

forEachAccelerator((device) => {
  describe('implicit_gemm_tc vs the CPU', () => {
    let seed = 500;
    for (const s of convShapes) {
      for (const prec of PRECISIONS) {
        const sx = seed++, sw = seed++, sb = seed++;
        test(`${prec} ${s.label} +bias+relu`, () => {
          const x = rnd(s.x, sx), w = rnd(s.w, sw, 0.5), b = rnd([s.w[0]], sb);
          const ref = F.conv2d(x, w, b, { ...s.opts, activation: 'relu' });
          const xd = x.to(device), wd = w.to(device), bd = b.to(device);
          const got = F.conv2d(xd, wd, bd, { ...s.opts, activation: 'relu', algo: 'implicit_gemm_tc', precision: prec });
          within(`${prec} ${s.label}`, got, ref, prec);
          // 'auto' at a reduced precision picks the tensor cores unless the groups are thin (< 8 output or < 2
          // input channels per group: direct, in fp32)
          const groups = (s.opts.groups as number | undefined) ?? 1;
          const thin = s.w[0] / groups < 8 || s.w[1] < 2;
          const auto = F.conv2d(xd, wd, bd, { ...s.opts, activation: 'relu', precision: prec });
          if (thin) expect(relErr(auto.data(), ref.data())).toBeLessThan(1e-5);
          else expect(Array.from(auto.data())).toEqual(Array.from(got.data()));
          for (const t of [xd, wd, bd, got, auto]) t.dispose();
        });
      }
    }
  });

  describe('linear and matmul on tensor cores vs the CPU', () => {
    for (const prec of PRECISIONS) {
      test(`${prec} linear 9216→4096 batch 3 (k split) and 70→33 batch 5`, () => {
        for (const [n, i, o] of [[3, 9216, 4096], [5, 70, 33]]) {
          const x = rnd([n, i], 1), w = rnd([o, i], 2, 0.05), b = rnd([o], 3);
          const ref = F.linear(x, w, b, { activation: 'relu' });
          const got = F.linear(x.to(device), w.to(device), b.to(device), { activation: 'relu', precision: prec });
          within(`${prec} linear ${i}→${o}`, got, ref, prec);
        }
      });
      test(`${prec} matmul 2-D and batched`, () => {
        const pairs: [number[], number[]][] = [[[33, 47], [47, 65]], [[2, 17, 40], [2, 40, 9]]];
        for (const [as, bs] of pairs) {
          const a = rnd(as, 4), bm = rnd(bs, 5);
          const got = F.matmul(a.to(device), bm.to(device), { precision: prec });
          within(`${prec} matmul ${as} x ${bs}`, got, F.matmul(a, bm), prec);
        }
      });
    }
  });

  describe('compiled plans: precision and CUDA graphs', () => {
    function smallNet(): nn.Module {
      nn.init.manualSeed(7);
      return new nn.Sequential(
        new nn.Conv2d(3, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.ReLU(),
        new nn.Conv2d(64, 64, 1), new nn.ReLU(),
        new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(64, 10),
      );
    }
    test('a graph replays the same kernels: bit-equal to the uncaptured plan, inputs rebound per run', async () => {
      const m = smallNet().eval();
      m.to(device);
      const before = memory().cuda[0]?.tensors ?? 0;
      const graphed = compile(m, { inputShape: [2, 3, 32, 32], device });
      const plain = compile(m, { inputShape: [2, 3, 32, 32], device, cudaGraph: false });
      expect(graphed.cudaGraph).toBe('pending');
      expect(plain.cudaGraph).toBe('off');
      for (const seed of [1, 2, 3]) {
        const x = rnd([2, 3, 32, 32], seed).to(device);
        const a = await graphed.run(x), b = plain.runSync(x);
        expect(graphed.cudaGraph).toBe('captured');
        expect(Array.from(a.data())).toEqual(Array.from(b.data()));
        for (const t of [x, a, b]) t.dispose();
      }
      graphed.dispose();
      plain.dispose();
      // The graphs' buffers and the plans' constants are gone (other tests' tensors may have been collected
      // meanwhile, so the count can only be lower).
      expect(memory().cuda[0]?.tensors ?? 0).toBeLessThanOrEqual(before);
    });
    for (const prec of PRECISIONS) {
      test(`compile precision ${prec}: within the bound of the CPU fp32 plan`, async () => {
        const m = smallNet().eval();
        const x = rnd([4, 3, 32, 32], 9);
        const ref = compile(m, { inputShape: [4, 3, 32, 32] }).runSync(x);
        m.to(device);
        const p = compile(m, { inputShape: [4, 3, 32, 32], device, precision: prec });
        const got = await p.run(x.to(device));
        within(`compiled ${prec}`, got, ref, prec, false);
        expect(p.cudaGraph).toBe('captured');
        p.dispose();
      });
    }
  });
});
