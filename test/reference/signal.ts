// Full discrete convolutions by their definition (float64), for checking lib/signal on random data.

/** out[n] = Σ_m a[m] · v[n − m], n = 0 .. M + N − 2. */
export function fullConvolve(a: ArrayLike<number>, v: ArrayLike<number>): number[] {
  const out = new Array(a.length + v.length - 1).fill(0);
  for (let m = 0; m < a.length; m++) for (let j = 0; j < v.length; j++) out[m + j] += a[m] * v[j];
  return out;
}

/** out[r][c] = Σ_{i,j} a[i][j] · k[r − i][c − j]. */
export function fullConvolve2d(a: number[][], k: number[][]): number[][] {
  const rows = a.length + k.length - 1;
  const cols = a[0].length + k[0].length - 1;
  const out = Array.from({ length: rows }, () => new Array(cols).fill(0));
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < a[0].length; j++)
      for (let p = 0; p < k.length; p++) for (let q = 0; q < k[0].length; q++) out[i + p][j + q] += a[i][j] * k[p][q];
  return out;
}

export const reversed = <T>(x: readonly T[]): T[] => x.slice().reverse();
export const flipped = (m: number[][]): number[][] => reversed(m.map((row) => reversed(row)));
