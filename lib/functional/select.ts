// Picking values: torch.argmax and torch.topk (native CPU kernels; CUDA inputs are computed on the host and
// the results copied back to the device). Indices come back as float32 tensors (exact below 2^24).
import { native } from '../native';
import { Tensor } from '../tensor';
import { boolArg, intArg, optionsArg, tensorArg } from './args';

export interface ArgmaxOptions {
  /** Keep the reduced dimension with size 1 (default false). */
  keepdim?: boolean;
}

/**
 * Index of the largest value along `dim` (ties: the first; NaN counts as largest, like torch). Without
 * `dim`, the index into the flattened tensor, as a one-element tensor (`.item()` reads it).
 */
export function argmax(input: Tensor, dim?: number, opts: ArgmaxOptions = {}): Tensor {
  const op = 'argmax';
  const x = tensorArg(op, 'input', input);
  const keepdim = boolArg(op, 'keepdim', optionsArg(op, opts).keepdim ?? false);
  if (dim === undefined) {
    const flat = x.reshape([x.numel]);
    try {
      const i = native.argmax(flat.handle, 0, false);
      return keepdim ? new Tensor(i).reshape(x.shape.map(() => 1)) : new Tensor(i);
    } finally {
      flat.dispose();
    }
  }
  return new Tensor(native.argmax(x.handle, intArg(op, 'dim', dim), keepdim));
}

export interface TopkOptions {
  /** Default -1 (the last dimension). */
  dim?: number;
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /** Best first (default true); false keeps the chosen elements in index order. */
  sorted?: boolean;
}

export interface TopkResult {
  values: Tensor;
  /** Positions along `dim`, as float32. */
  indices: Tensor;
}

/** The k largest (or smallest) elements along a dimension and their indices, as torch.topk. */
export function topk(input: Tensor, k: number, opts: TopkOptions = {}): TopkResult {
  const op = 'topk';
  const x = tensorArg(op, 'input', input);
  const o = optionsArg(op, opts);
  const r = native.topk(x.handle, { k: intArg(op, 'k', k), dim: intArg(op, 'dim', o.dim ?? -1), largest: boolArg(op, 'largest', o.largest ?? true),
    sorted: boolArg(op, 'sorted', o.sorted ?? true) });
  return { values: new Tensor(r.values), indices: new Tensor(r.indices) };
}
