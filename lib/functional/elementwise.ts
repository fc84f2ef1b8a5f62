import { native } from '../native';
import { Tensor } from '../tensor';
import { ActivationOptions, activationArg, boolArg, intArg, numberArg, optionsArg, randomSeed, tensorArg } from './args';

export function relu(input: Tensor): Tensor {
  return new Tensor(native.relu(tensorArg('relu', 'input', input).handle));
}

export type AddOptions = ActivationOptions;

/** a + b (same shape); `{activation: 'relu'}` fuses the ReLU that follows a residual join. */
export function add(a: Tensor, b: Tensor, opts: AddOptions = {}): Tensor {
  const o = optionsArg('add', opts);
  return new Tensor(native.add(tensorArg('add', 'a', a).handle, tensorArg('add', 'b', b).handle, activationArg('add', o)));
}

export interface DropoutOptions {
  /** Probability of zeroing an element (default 0.5). */
  p?: number;
  /** Default false (this library runs inference): then the result is a copy of the input. */
  training?: boolean;
  /** Same seed, same mask (on any thread count); default a fresh random seed. */
  seed?: number;
}

/** In training, zeroes each element with probability p and scales the rest by 1/(1-p). */
export function dropout(input: Tensor, opts: DropoutOptions = {}): Tensor {
  const op = 'dropout';
  const x = tensorArg(op, 'input', input);
  const o = optionsArg(op, opts);
  const p = numberArg(op, 'p', o.p ?? 0.5);
  // Checked here because out of training the op never reaches native code; the words are ops::dropout's.
  if (p < 0 || p > 1) throw new RangeError(`${op}: p must be between 0 and 1, got ${p}`);
  if (!boolArg(op, 'training', o.training ?? false)) return x.to(x.device);
  const seed = o.seed === undefined ? randomSeed() : intArg(op, 'seed', o.seed);
  return new Tensor(native.dropout(x.handle, p, seed));
}
