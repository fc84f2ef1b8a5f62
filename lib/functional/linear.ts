// Dense layers over the GEMM: F.linear (torch layout) and F.matmul.
import { native } from '../native';
import { Tensor } from '../tensor';
import { Activation, activationArg, optionsArg } from './args';

/** y = input·weightᵀ + bias: input [N, in], weight [out, in], bias [out]; `{activation: 'relu'}` fuses ReLU. */
export interface LinearOptions {
  activation?: Activation;
}

export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: LinearOptions = {}): Tensor {
  const relu = activationArg('linear', { activation: optionsArg('linear', opts).activation });
  return new Tensor(native.linear(input.handle, weight.handle, bias ? bias.handle : null, relu));
}

/** [M, K]·[K, N] → [M, N], or batched [B, M, K]·[B, K, N] → [B, M, N]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.matmul(a.handle, b.handle));
}

/** Measured peak FLOP/s of an FMA loop on `threads` threads (the benchmarks' yardstick). */
export function peakFlops(threads: number): number {
  return native.peakFlops(threads);
}
