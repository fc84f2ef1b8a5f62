// Shape ops: cat (a native copy) and flatten (a reshape: a new Tensor over the same storage).
import { native } from '../native';
import { Shape, Tensor } from '../tensor';
import { intArg, tensorArg } from './args';

/** Concatenates along `dim`; every other dimension must match. */
export function cat(tensors: readonly Tensor[], dim: number): Tensor {
  if (!Array.isArray(tensors)) throw new TypeError('cat: tensors must be an array of Tensors');
  const handles = tensors.map((t, i) => tensorArg('cat', `tensors[${i}]`, t).handle);
  return new Tensor(native.cat(handles, intArg('cat', 'dim', dim)));
}

/** Merges dimensions startDim..endDim (inclusive, negative counts from the end) into one, like torch.flatten. */
export function flatten(input: Tensor, startDim = 1, endDim = -1): Tensor {
  const x = tensorArg('flatten', 'input', input);
  return x.reshape(flattenShape(x.shape, startDim, endDim));
}

/** flatten's output shape (and its argument checks) for an input of `shape`; nn.Flatten's shape inference. */
export function flattenShape(shape: Shape, startDim: number, endDim: number): number[] {
  const op = 'flatten';
  const rank = shape.length;
  const norm = (name: string, d: number) => {
    intArg(op, name, d);
    const r = Math.max(rank, 1);  // a scalar flattens like a 1-element vector (torch)
    if (d < -r || d >= r) throw new RangeError(`${op}: ${name} ${d} is out of range for a ${rank}-D input (shape [${shape.join(', ')}])`);
    return d < 0 ? d + r : d;
  };
  const s = norm('startDim', startDim);
  const e = norm('endDim', endDim);
  if (s > e) throw new RangeError(`${op}: startDim ${startDim} comes after endDim ${endDim} for a ${rank}-D input`);
  if (rank === 0) return [1];
  const merged = shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return [...shape.slice(0, s), merged, ...shape.slice(e + 1)];
}
