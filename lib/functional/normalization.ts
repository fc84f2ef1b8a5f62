// Normalisation layers: torch.nn.functional.local_response_norm and batch_norm (inference).
import { native } from '../native';
import { Tensor } from '../tensor';
import { ActivationOptions, activationArg, intArg, numberArg, optionsArg, tensorArg } from './args';

export interface LocalResponseNormOptions {
  size: number;
  alpha?: number;
  beta?: number;
  k?: number;
}

/** b_c = a_c / (k + alpha/size · Σ a_c'²)^beta over channels c' in [c - size/2, c + (size-1)/2] (torch). */
export function localResponseNorm(input: Tensor, opts: LocalResponseNormOptions): Tensor {
  const op = 'localResponseNorm';
  const x = tensorArg(op, 'input', input);
  const o = optionsArg(op, opts, true);
  if (o.size === undefined) throw new TypeError(`${op}: options.size is required`);
  return new Tensor(native.localResponseNorm(x.handle, { size: intArg(op, 'size', o.size), alpha: numberArg(op, 'alpha', o.alpha ?? 1e-4),
    beta: numberArg(op, 'beta', o.beta ?? 0.75), k: numberArg(op, 'k', o.k ?? 1) }));
}

/** `activation: 'relu'` fuses a ReLU into the output write. */
export interface BatchNormOptions extends ActivationOptions {
  eps?: number;
}

/** Inference batch norm: (x - runningMean) / sqrt(runningVar + eps) · weight + bias per channel (dim 1). */
export function batchNorm(input: Tensor, runningMean: Tensor, runningVar: Tensor, weight?: Tensor | null,
  bias?: Tensor | null, opts?: BatchNormOptions): Tensor {
  const op = 'batchNorm';
  const optional = (name: string, t: Tensor | null | undefined) => (t === undefined || t === null ? null : tensorArg(op, name, t).handle);
  const o = optionsArg(op, opts);
  return new Tensor(native.batchNorm(tensorArg(op, 'input', input).handle, tensorArg(op, 'runningMean', runningMean).handle,
    tensorArg(op, 'runningVar', runningVar).handle, optional('weight', weight), optional('bias', bias),
    { eps: numberArg(op, 'eps', o.eps ?? 1e-5), relu: activationArg(op, o) }));
}
