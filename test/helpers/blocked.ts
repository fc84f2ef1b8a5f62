// NCHW ↔ channel-blocked (NCHWc) conversions written independently of the native ops, for the blocked
// conv tests (conv-nchwc.test.ts, winograd-nchwc.test.ts).
import { Tensor } from '../../lib';

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
