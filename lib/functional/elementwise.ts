import { native } from '../native';
import { Tensor } from '../tensor';

export function relu(input: Tensor): Tensor {
  return new Tensor(native.relu(input.handle));
}

/** a + b (same shape); `{relu: true}` fuses the ReLU that follows a residual join. */
export function add(a: Tensor, b: Tensor, opts: { relu?: boolean } = {}): Tensor {
  return new Tensor(native.add(a.handle, b.handle, opts.relu ?? false));
}
