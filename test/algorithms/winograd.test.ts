// Each Winograd transform against the explicit matrix product it implements (matrices from Lavin &
// Gray, written out here independently of the native code), on random tiles.
import { winogradTransform } from '../../lib/functional/conv';
import { relErr } from '../helpers/check';

type Mat = number[][];
const matmul = (a: Mat, b: Mat): Mat => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const T = (a: Mat): Mat => a[0].map((_, j) => a.map((row) => row[j]));
const tile = (flat: ArrayLike<number>, off: number, r: number, c: number): Mat =>
  Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => flat[off + i * c + j]));

const F2 = {
  BT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
  G: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  AT: [[1, 1, 1, 0], [0, 1, -1, -1]],
  m: 2,
};
const F4 = {
  BT: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
  G: [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
  AT: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
  m: 4,
};

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(seed * 7.13 + i * 1.7) * 2;
  return out;
}

for (const [name, M] of [['winograd_2x2_3x3', F2], ['winograd_4x4_3x3', F4]] as const) {
  const a = M.m + 2;
  // 19 tiles: more than one 16-lane block, with a ragged tail.
  const tiles = 19;
  describe(name, () => {
    test('weight transform U = G g Gᵀ', () => {
      const g = random(tiles * 9, 1);
      const out = winogradTransform(name, 'weight', g);
      const ref: number[] = [];
      for (let t = 0; t < tiles; t++) ref.push(...matmul(matmul(M.G, tile(g, t * 9, 3, 3)), T(M.G)).flat());
      expect(out.length).toBe(tiles * a * a);
      expect(relErr(out, ref)).toBeLessThan(1e-6);
    });
    test('input transform V = Bᵀ d B', () => {
      const d = random(tiles * a * a, 2);
      const out = winogradTransform(name, 'input', d);
      const ref: number[] = [];
      for (let t = 0; t < tiles; t++) ref.push(...matmul(matmul(M.BT, tile(d, t * a * a, a, a)), T(M.BT)).flat());
      expect(relErr(out, ref)).toBeLessThan(1e-6);
    });
    test('output transform Y = Aᵀ M A', () => {
      const mm = random(tiles * a * a, 3);
      const out = winogradTransform(name, 'output', mm);
      const ref: number[] = [];
      for (let t = 0; t < tiles; t++) ref.push(...matmul(matmul(M.AT, tile(mm, t * a * a, a, a)), T(M.AT)).flat());
      expect(out.length).toBe(tiles * M.m * M.m);
      expect(relErr(out, ref)).toBeLessThan(1e-6);
    });
    test('the three transforms compose to a 3×3 correlation (Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A)', () => {
      const g = random(9, 4);
      const d = random(a * a, 5);
      const U = winogradTransform(name, 'weight', g);
      const V = winogradTransform(name, 'input', d);
      const Y = winogradTransform(name, 'output', U.map((u, i) => u * V[i]));
      const ref: number[] = [];
      for (let i = 0; i < M.m; i++)
        for (let j = 0; j < M.m; j++) {
          let s = 0;
          for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) s += d[(i + r) * a + j + c] * g[r * 3 + c];
          ref.push(s);
        }
      expect(relErr(Y, ref)).toBeLessThan(1e-5);
    });
    test('bad arguments throw', () => {
      expect(() => winogradTransform(name, 'weight', new Float32Array(10))).toThrow(/weight tiles are 3x3, got 10 values/);
      expect(() => winogradTransform(name, 'bogus' as 'input', new Float32Array(16))).toThrow(/expected 'weight', 'input' or 'output'/);
    });
  });
}
test('unknown variant throws', () => {
  expect(() => winogradTransform('winograd_6x6' as 'winograd_2x2_3x3', 'input', new Float32Array(16))).toThrow(/unknown variant/);
});
