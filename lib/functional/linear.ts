// Dense layers over the GEMM: F.linear (torch layout) and F.matmul.
import { native } from '../native';
import { Tensor } from '../tensor';
import { tensorArg } from './args';

/** y = input·weightᵀ + bias: input [N, in], weight [out, in], bias [out]; `{activation: 'relu'}` fuses ReLU. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: { activation?: 'none' | 'relu' } = {}): Tensor {
  const a = opts.activation ?? 'none';
  if (a !== 'none' && a !== 'relu') throw new TypeError(`linear: activation must be 'none' or 'relu', got '${String(a)}'`);
  return new Tensor(native.linear(tensorArg('linear', 'input', input).handle, tensorArg('linear', 'weight', weight).handle,
    bias ? tensorArg('linear', 'bias', bias).handle : null, a === 'relu'));
}

/** [M, K]·[K, N] → [M, N], or batched [B, M, K]·[B, K, N] → [B, M, N]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.matmul(a.handle, b.handle));
}

/** Measured peak FLOP/s of an FMA loop on `threads` threads (the benchmarks' yardstick). */
export function peakFlops(threads: number): number {
  return native.peakFlops(threads);
}
