// torch.nn.functional.softmax / log_softmax along one dimension (negative dims count from the end).
import { native } from '../native';
import { Tensor } from '../tensor';
import { intArg, tensorArg } from './args';

export function softmax(input: Tensor, dim: number): Tensor {
  return new Tensor(native.softmax(tensorArg('softmax', 'input', input).handle, intArg('softmax', 'dim', dim)));
}

export function logSoftmax(input: Tensor, dim: number): Tensor {
  return new Tensor(native.logSoftmax(tensorArg('logSoftmax', 'input', input).handle, intArg('logSoftmax', 'dim', dim)));
}
