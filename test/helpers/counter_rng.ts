// Counter-based values shared bit-for-bit with scripts/fixtures_models.py: element i of tensor #t is a
// 32-bit integer hash of (t, i) mapped to [lo, hi) in float64 and rounded once to float32. Only integer
// ops and one multiply-add in float64 are involved, so Python (numpy) and JS produce identical floats.
import { nn, Tensor } from '../../lib';

// Global lookups (Math.imul) are slow inside jest's vm sandbox (every access goes through the context's
// interceptor: ~40× slower loops), so the hot loop uses a module-local binding.
const imul = Math.imul;

/** lowbias32 (Chris Wellons): a full-avalanche 32-bit integer hash. */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Tensor #t's values: u = (hash32(i XOR key_t) + 0.5) / 2^32, value = fround(lo + (hi − lo)·u). */
export function counterValues(t: number, n: number, lo: number, hi: number): Float32Array {
  const key = hash32((Math.imul(t, 0x9e3779b1) + 0x7f4a7c15) >>> 0);
  const out = new Float32Array(n);
  const span = hi - lo;
  for (let i = 0; i < n; i++) out[i] = lo + span * ((hash32((i ^ key) >>> 0) + 0.5) / 4294967296);
  return out;
}

/** The range each state_dict entry is drawn from (same rules as the Python script), or null to leave it. */
export function rangeFor(key: string, shape: readonly number[]): [number, number] | null {
  if (key.endsWith('num_batches_tracked')) return null;
  if (key.endsWith('running_var')) return [0.5, 1.5];
  if (key.endsWith('running_mean') || key.endsWith('bias')) return [-0.1, 0.1];
  // the BatchNorm that closes a ResNet bottleneck: small, so the residual sum does not grow 2× per block
  // and drown the input's signal in accumulated offsets (zero-init-residual's idea, not quite zero)
  if (/^layer\d+\.\d+\.bn3\.weight$/.test(key)) return [0.1, 0.3];
  if (key.endsWith('weight') && shape.length === 1) return [0.5, 1.5]; // BatchNorm gamma
  // conv / linear weights: He-uniform, variance 2/fan_in, so activations keep their scale through ReLUs
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const bound = Math.sqrt(6 / fanIn);
  return [-bound, bound];
}

/** Fills every parameter and BatchNorm running statistic of `model` from the counter generator. */
export function fillModel(model: nn.Module): void {
  [...model.stateDict()].forEach(([key, t], index) => {
    const range = rangeFor(key, t.shape);
    if (range) t.data().set(counterValues(index, t.numel, range[0], range[1]));
  });
}

/** Tensor index of network inputs (far from any state_dict index). */
export const INPUT_STREAM = 999_983;

export function counterInput(shape: number[]): Tensor {
  return Tensor.from(counterValues(INPUT_STREAM, shape.reduce((a, b) => a * b, 1), -1.5, 1.5), shape);
}
