// Default initialisation as torch.nn's layers do it, drawn from one seedable stream: manualSeed(s) then
// building a model gives the same weights every time (each tensor takes the next seed of the stream).
import { Shape, Tensor } from '../tensor';

let state = BigInt(Math.floor(Math.random() * 2 ** 52));

/** Makes every following default initialisation reproducible. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`manualSeed: seed must be a non-negative safe integer, got ${seed}`);
  state = BigInt(seed);
}

/** The next seed of the stream (splitmix64, truncated to 52 bits so it survives a JS number). */
export function nextSeed(): number {
  state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  let z = state;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  z ^= z >> 31n;
  return Number(z & 0xfffffffffffffn);
}

/** U(−bound, bound). */
export function uniform(shape: Shape, bound: number): Tensor {
  return Tensor.rand(shape, { seed: nextSeed(), low: -bound, high: bound });
}

export function constant(shape: Shape, value: number): Tensor {
  if (value === 0) return Tensor.zeros(shape);
  // filled on a host array and copied: a data() view would keep the storage alive until the next GC
  return Tensor.from(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape);
}

/** Inputs feeding each output: in-channels × kernel area for a conv weight, in-features for a linear one. */
export function fanIn(weightShape: Shape): number {
  return weightShape.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * torch's reset_parameters for Conv and Linear: kaiming_uniform_(a=√5) on the weight, which is
 * U(±gain·√(3/fan_in)) with gain = √(2/(1+a²)) = √(1/3), i.e. U(±1/√fan_in); the bias is U(±1/√fan_in) too.
 */
export function torchDefaultWeight(shape: Shape): Tensor {
  const gain = Math.sqrt(2 / (1 + 5));
  return uniform(shape, gain * Math.sqrt(3 / fanIn(shape)));
}

export function torchDefaultBias(outFeatures: number, weightShape: Shape): Tensor {
  return uniform([outFeatures], 1 / Math.sqrt(fanIn(weightShape)));
}
