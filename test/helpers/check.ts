// Comparison helpers shared by every test: relative L2 error (NaN never passes) and awkward shapes.
import { Tensor } from '../../lib/tensor';

/** ‖out − ref‖ / ‖ref‖ over all elements; NaN or Infinity anywhere in out gives Infinity. */
export function relErr(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (out.length !== ref.length) throw new Error(`relErr: lengths differ (${out.length} vs ${ref.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < out.length; i++) {
    const o = out[i];
    if (!Number.isFinite(o)) return Infinity;
    const d = o - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
  }
  if (den === 0) return num === 0 ? 0 : Infinity;
  return Math.sqrt(num / den);
}

/** Asserts shape equality and relErr ≤ tol, with a message that says by how much it missed. */
export function expectClose(out: Tensor, ref: { shape: readonly number[]; data: ArrayLike<number> }, tol: number, what = ''): void {
  expect([...out.shape]).toEqual([...ref.shape]);
  const err = relErr(out.data(), ref.data);
  if (!(err <= tol)) throw new Error(`${what} relative L2 error ${err.toExponential(3)} exceeds ${tol}`);
}

/** Values that are never all zero or constant: a quick guard that a reference is not trivial. */
export function expectNonTrivial(data: ArrayLike<number>): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    min = Math.min(min, data[i]);
    max = Math.max(max, data[i]);
  }
  expect(max - min).toBeGreaterThan(0);
}

/** Float64 copy of a tensor's data (references compute in float64). */
export function f64(t: Tensor): Float64Array {
  return Float64Array.from(t.data());
}
