// NCHW ↔ channel-blocked (NCHWc) conversions written independently of the native ops, for the blocked
// conv tests (conv-nchwc.test.ts, winograd-nchwc.test.ts).
import { Tensor } from '../../lib';
import { native, NativeBlockedConvKernel, NativeBlockedConvProbe } from '../../lib/native';
import { refConv2d, RefTensor } from '../reference/conv';

/** NCHW data → a blocked tensor [N, ceil(C/B), H, W, B], pad lanes 0 (what toBlocked makes). */
export function blocked(x: ArrayLike<number>, [N, C, H, W]: number[], B: number): Tensor {
  const Cb = Math.ceil(C / B);
  const out = new Float32Array(N * Cb * H * W * B);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H * W; i++) out[(((n * Cb + Math.floor(c / B)) * H * W) + i) * B + (c % B)] = x[(n * C + c) * H * W + i];
  return Tensor.from(out, [N, Cb, H, W, B]);
}

/** A blocked tensor back to NCHW data (C real channels), and every pad lane's value. */
export function unblocked(t: Tensor, C: number): { data: Float32Array; padLanes: number[] } {
  const [N, Cb, H, W, B] = t.shape;
  const src = t.data();
  const data = new Float32Array(N * C * H * W);
  const padLanes: number[] = [];
  for (let n = 0; n < N; n++)
    for (let cb = 0; cb < Cb; cb++)
      for (let i = 0; i < H * W; i++)
        for (let l = 0; l < B; l++) {
          const v = src[((n * Cb + cb) * H * W + i) * B + l];
          const c = cb * B + l;
          if (c < C) data[(n * C + c) * H * W + i] = v;
          else padLanes.push(v);
        }
  return { data, padLanes };
}

/** A conv output as NCHW data: an NCHW one checked against shape [N, K, OH, OW], a blocked one checked for
 * its shape [N, ceil(K/B), OH, OW, B] and that its pad lanes are exactly 0. */
export function nchwOutput(y: Tensor, shape: number[], outputBlocked: boolean, B: number): Float32Array {
  const [N, K, OH, OW] = shape;
  if (!outputBlocked) {
    expect([...y.shape]).toEqual([N, K, OH, OW]);
    return y.data();
  }
  expect([...y.shape]).toEqual([N, Math.ceil(K / B), OH, OW, B]);
  const { data, padLanes } = unblocked(y, K);
  expect(padLanes.every((v) => Object.is(v, 0))).toBe(true);
  return data;
}

// ---- the blocked conv harness both conv test files share -------------------------------------------------

/** A conv layer's shape (groups 1, dilation 1, square stride and padding). */
export interface ConvLayer { name: string; N: number; C: number; H: number; W: number; K: number; R: number; S: number; stride: number; pad: number }

/** One call of the blocked conv test hook: the input as one tensor or concatenated parts, in either layout. */
export interface BlockedRun { input?: Tensor; parts?: Tensor[]; channels?: number[]; inputBlocked: boolean; outputBlocked: boolean; B: number;
  relu?: boolean; residual?: Tensor; affine?: { scale: Tensor; shift: Tensor; relu: boolean }; kernel?: NativeBlockedConvKernel | 'auto' }

export function probeOptions(l: ConvLayer, r: BlockedRun): NativeBlockedConvProbe {
  const opts: NativeBlockedConvProbe = {
    stride: [l.stride, l.stride], padding: [l.pad, l.pad], dilation: [1, 1], groups: 1, block: r.B as 8 | 16,
    relu: r.relu ?? false, inputBlocked: r.inputBlocked, outputBlocked: r.outputBlocked,
  };
  if (r.kernel) opts.kernel = r.kernel;
  if (r.residual) opts.residual = r.residual.handle;
  if (r.affine) opts.inputAffine = { scale: r.affine.scale.handle, shift: r.affine.shift.handle, relu: r.affine.relu };
  if (r.parts) { opts.parts = r.parts.map((p) => p.handle); opts.channels = r.channels; }
  return opts;
}

/** Runs ops::blocked::BlockedConv through its test hook. */
export function probeConv(l: ConvLayer, w: Tensor, b: Tensor | null, r: BlockedRun): Tensor {
  return new Tensor(native.blockedConvProbe(r.input ? r.input.handle : null, w.handle, b ? b.handle : null, probeOptions(l, r)));
}

export interface ConvData { x: Tensor; w: Tensor; b: Tensor; ref: RefTensor }
/** Random non-zero input, weights and bias for layer l (seeds seed, seed + 10, seed + 20) and the float64 reference. */
export function convData(l: ConvLayer, seed: number): ConvData {
  const x = Tensor.rand([l.N, l.C, l.H, l.W], { seed, low: -1, high: 1 });
  const w = Tensor.rand([l.K, l.C, l.R, l.S], { seed: seed + 10, low: -0.5, high: 0.5 });
  const b = Tensor.rand([l.K], { seed: seed + 20, low: -0.5, high: 0.5 });
  const ref = refConv2d(x.data(), [l.N, l.C, l.H, l.W], w.data(), [l.K, l.C, l.R, l.S], b.data(),
    { stride: [l.stride, l.stride], pad: [l.pad, l.pad, l.pad, l.pad] });
  return { x, w, b, ref };
}

export const reluOf = (a: Float64Array) => a.map((v) => (v < 0 ? 0 : v));

/**
 * The residual form on a blocked input: conv + residual, then ReLU, with the residual and the output in NCHW and
 * then blocked; `check` compares each output with the reference.
 */
export function checkResidual(l: ConvLayer, d: ConvData, B: number, seed: number,
  run: (r: BlockedRun) => Tensor, check: (y: Tensor, want: RefTensor, r: BlockedRun, what: string) => void): void {
  const res = Tensor.rand(d.ref.shape, { seed, low: -1, high: 1 });
  const want = { shape: d.ref.shape, data: reluOf(d.ref.data.map((v, k) => v + res.data()[k])) };
  const xb = blocked(d.x.data(), [l.N, l.C, l.H, l.W], B);
  for (const outputBlocked of [false, true]) {
    const residual = outputBlocked ? blocked(res.data(), d.ref.shape, B) : res;
    const r: BlockedRun = { input: xb, inputBlocked: true, outputBlocked, B, relu: true, residual };
    check(run(r), want, r, `residual out ${outputBlocked ? 'blocked' : 'NCHW'}`);
  }
}
