// Dense layers over the GEMM: F.linear (torch layout) and F.matmul.
import { native } from '../native';
import { Precision, Tensor } from '../tensor';
import { Activation, activationArg, optionsArg, tensorArg } from './args';

export interface LinearOptions {
  activation?: Activation;
  /** 'fp32' (default, exact); 'tf32' | 'bf16' | 'fp16' run on CUDA tensor cores (fp32 accumulation, fp32 output); the CPU refuses them. */
  precision?: Precision;
}

/** y = input·weightᵀ + bias: input [N, in], weight [out, in], bias [out]; `{activation: 'relu'}` fuses ReLU. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: LinearOptions = {}): Tensor {
  const o = optionsArg('linear', opts);
  const relu = activationArg('linear', { activation: o.activation });
  return new Tensor(native.linear(tensorArg('linear', 'input', input).handle, tensorArg('linear', 'weight', weight).handle,
    bias ? tensorArg('linear', 'bias', bias).handle : null, { relu, precision: o.precision }));
}

/** [M, K]·[K, N] → [M, N], or batched [B, M, K]·[B, K, N] → [B, M, N]; `precision` as for linear. */
export function matmul(a: Tensor, b: Tensor, opts: { precision?: Precision } = {}): Tensor {
  return new Tensor(native.matmul(a.handle, b.handle, opts.precision));
}

/** Measured peak FLOP/s of an FMA loop on `threads` threads (the benchmarks' yardstick). */
export function peakFlops(threads: number): number {
  return native.peakFlops(threads);
}
