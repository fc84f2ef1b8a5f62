// Small statistics the benchmarks share.

export const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** ‖ours − theirs‖₂ / ‖theirs‖₂: the check that two engines computed the same thing before timing them. */
export function relativeL2(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < ours.length; i++) { num += (ours[i] - theirs[i]) ** 2; den += theirs[i] ** 2; }
  return Math.sqrt(num / Math.max(den, 1e-30));
}
