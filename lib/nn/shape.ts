// Shape arithmetic shared by the layers' outputShape() (torch's formulas, so summary() needs no kernels).
import { Shape } from '../tensor';

export type Pair = number | readonly [number, number];

export function pair(v: Pair, what: string): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Number.isInteger(p[0]) || !Number.isInteger(p[1])) throw new Error(`${what} must be an integer or [h, w], got ${String(v)}`);
  return p;
}

/** Output length of a window sweep (conv or pool) over `size`, torch's rule including ceil mode. */
export function windowOut(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // ceil mode may not start a window inside the right padding (torch's pooling_output_shape)
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

export function expectRank(what: string, input: Shape, rank: number): void {
  if (input.length !== rank) throw new Error(`${what}: expected a ${rank}-D input, got shape [${input.join(', ')}]`);
}

export function expectNchw(what: string, input: Shape, channels?: number): void {
  expectRank(what, input, 4);
  if (channels !== undefined && input[1] !== channels) {
    throw new Error(`${what}: expected ${channels} input channels, got shape [${input.join(', ')}]`);
  }
}
