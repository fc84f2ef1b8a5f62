// Argument and shape helpers shared by the layers (conv and pool output shapes come from the native checks).
import { Shape } from '../tensor';

export type Pair = number | readonly [number, number];

export function pair(v: Pair, what: string): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Number.isInteger(p[0]) || !Number.isInteger(p[1])) throw new Error(`${what} must be an integer or [h, w], got ${String(v)}`);
  return p;
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
