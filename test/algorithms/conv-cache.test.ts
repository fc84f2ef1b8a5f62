// Eager conv's prepared-weight cache (dispatch/prepared_cache.h): the same bits as an uncached call, never
// stale after a write into the weight, bounded, and freed with the weight.
import { Tensor, F, ConvAlgo, memory, convCacheStats, setConvCacheLimit, clearConvCache } from '../../lib';
import { settleGc } from '../compile/gc';

const DEFAULT_LIMIT = convCacheStats().limitBytes;

// The cases every algorithm runs (1×1 for gemm_1x1); weights made natively, so no data() view exists.
const cases: [ConvAlgo, number[], number[]][] = [
  ['auto', [1, 24, 13, 13], [40, 24, 3, 3]],
  ['direct', [2, 5, 9, 9], [7, 5, 3, 3]],
  ['im2col', [1, 24, 11, 11], [40, 24, 3, 3]],
  ['implicit_gemm', [1, 3, 17, 17], [20, 3, 5, 5]],
  ['gemm_1x1', [2, 33, 7, 7], [45, 33, 1, 1]],
  ['winograd_2x2_3x3', [1, 19, 10, 10], [37, 19, 3, 3]],
  ['winograd_4x4_3x3', [2, 17, 15, 15], [29, 17, 3, 3]],
];

function bits(t: Tensor): Uint32Array {
  return new Uint32Array(Float32Array.from(t.data()).buffer);
}

beforeEach(() => clearConvCache());

afterEach(() => {
  setConvCacheLimit(DEFAULT_LIMIT);
  clearConvCache();
});

describe('eager conv prepared-weight cache', () => {
  test.each(cases)('%s: cached calls give the bits of an uncached call', (algo, xs, ws) => {
    const x = Tensor.rand(xs, { seed: 1, low: -1, high: 1 });
    const w = Tensor.rand(ws, { seed: 2, low: -0.5, high: 0.5 });
    const b = Tensor.rand([ws[0]], { seed: 3 });
    const opts = { padding: ws[2] === 1 ? 0 : 1, algo, activation: 'relu' as const };
    // The same values in a weight with a live data() view: never cached, prepared on the call.
    const exposed = Tensor.rand(ws, { seed: 2, low: -0.5, high: 0.5 });
    const view = exposed.data();
    const uncached = F.conv2d(x, exposed, b, opts);
    expect(convCacheStats().entries).toBe(0);
    expect(view.length).toBe(exposed.numel);
    const before = convCacheStats();
    const miss = F.conv2d(x, w, b, opts);
    const hit = F.conv2d(x, w, b, opts);
    const after = convCacheStats();
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
    expect(after.entries).toBe(1);
    expect(bits(miss)).toEqual(bits(uncached));
    expect(bits(hit)).toEqual(bits(uncached));
    for (const t of [x, w, b, exposed, uncached, miss, hit]) t.dispose();
  });

  test('writing through a data() view taken after the entry was made invalidates it', () => {
    const x = Tensor.rand([1, 16, 12, 12], { seed: 4 });
    const w = Tensor.rand([24, 16, 3, 3], { seed: 5, low: -1, high: 1 });
    const opts = { padding: 1, algo: 'winograd_4x4_3x3' as const };
    const y1 = F.conv2d(x, w, null, opts);
    expect(convCacheStats().entries).toBe(1);
    const view = w.data();
    for (let i = 0; i < view.length; i++) view[i] = -2 * view[i] + 0.25;
    const y2 = F.conv2d(x, w, null, opts);
    const fresh = Tensor.from(Float32Array.from(view), w.shape);  // the new values in a never-cached tensor
    setConvCacheLimit(0);
    const ref = F.conv2d(x, fresh, null, opts);
    expect(bits(y2)).toEqual(bits(ref));
    expect(bits(y2)).not.toEqual(bits(y1));
    for (const t of [x, w, y1, y2, fresh, ref]) t.dispose();
  });

  test('while a data() view is alive nothing is cached; writes made through it count after it is collected', async () => {
    const x = Tensor.rand([1, 16, 12, 12], { seed: 6 });
    const w = Tensor.rand([24, 16, 3, 3], { seed: 7, low: -1, high: 1 });
    const opts = { padding: 1, algo: 'im2col' as const };
    let view: Float32Array | null = w.data();
    const stats0 = convCacheStats();
    const y1 = F.conv2d(x, w, null, opts);
    expect(convCacheStats().entries).toBe(stats0.entries);  // not cached: the view could be written any time
    view.fill(0.5);  // a write no native code sees
    const y2 = F.conv2d(x, w, null, opts);
    const fresh = Tensor.from(new Float32Array(w.numel).fill(0.5), w.shape);
    const ref = F.conv2d(x, fresh, null, opts);
    expect(bits(y2)).toEqual(bits(ref));
    expect(bits(y2)).not.toEqual(bits(y1));
    // Once the view is collected the weight is cached again, from its current contents.
    view = null;
    await settleGc();
    const y3 = F.conv2d(x, w, null, opts);
    const y4 = F.conv2d(x, w, null, opts);
    expect(convCacheStats().entries).toBeGreaterThanOrEqual(1);
    expect(convCacheStats().hits - stats0.hits).toBeGreaterThanOrEqual(1);
    expect(bits(y3)).toEqual(bits(ref));
    expect(bits(y4)).toEqual(bits(ref));
    for (const t of [x, w, y1, y2, y3, y4, fresh, ref]) t.dispose();
  });

  test('an entry made before a view was opened is not used after writes through it, even once the view is gone', async () => {
    const x = Tensor.rand([1, 8, 9, 9], { seed: 8 });
    const w = Tensor.rand([16, 8, 3, 3], { seed: 9 });
    const opts = { padding: 1, algo: 'winograd_2x2_3x3' as const };
    F.conv2d(x, w, null, opts).dispose();  // cached
    (() => { w.data().fill(-1); })();  // a view written and dropped
    await settleGc();
    const y = F.conv2d(x, w, null, opts);
    const ref = F.conv2d(x, Tensor.from(new Float32Array(w.numel).fill(-1), w.shape), null, opts);
    expect(bits(y)).toEqual(bits(ref));
    for (const t of [x, w, y, ref]) t.dispose();
  });

  test('the cache is bounded by its byte limit (least recently used entries go first)', () => {
    const x = Tensor.rand([1, 32, 14, 14], { seed: 10 });
    const ws = [0, 1, 2, 3].map((i) => Tensor.rand([32, 32, 3, 3], { seed: 20 + i }));
    const opts = { padding: 1, algo: 'winograd_4x4_3x3' as const };
    F.conv2d(x, ws[0], null, opts).dispose();
    const one = convCacheStats().bytes;
    expect(one).toBeGreaterThanOrEqual(32 * 32 * 36 * 4);
    clearConvCache();
    setConvCacheLimit(Math.floor(2.5 * one));
    for (const w of ws) F.conv2d(x, w, null, opts).dispose();
    let s = convCacheStats();
    expect(s.entries).toBe(2);
    expect(s.bytes).toBeLessThanOrEqual(s.limitBytes);
    expect(memory().cpu.preparedBytes).toBe(s.bytes);
    // The two most recent are kept: using ws[3] again hits, ws[0] misses.
    const hits = s.hits, misses = s.misses;
    F.conv2d(x, ws[3], null, opts).dispose();
    F.conv2d(x, ws[0], null, opts).dispose();
    s = convCacheStats();
    expect(s.hits - hits).toBe(1);
    expect(s.misses - misses).toBe(1);
    // An entry larger than the limit is never kept; lowering the limit evicts.
    setConvCacheLimit(one - 1);
    expect(convCacheStats().entries).toBe(0);
    F.conv2d(x, ws[1], null, opts).dispose();
    expect(convCacheStats().entries).toBe(0);
    expect(() => setConvCacheLimit(-1)).toThrow('setConvCacheLimit: bytes must be a non-negative integer, got -1');
    for (const t of [x, ...ws]) t.dispose();
  });

  test('disposing the weight frees its entries at once; a collected weight frees them too', async () => {
    const x = Tensor.rand([1, 16, 20, 20], { seed: 11 });
    const base = memory().cpu.preparedBytes;
    const w = Tensor.rand([32, 16, 3, 3], { seed: 12 });
    F.conv2d(x, w, null, { padding: 1 }).dispose();
    F.conv2d(x, w, null, { padding: 1, algo: 'im2col' }).dispose();
    expect(convCacheStats().entries).toBe(2);
    expect(memory().cpu.preparedBytes).toBeGreaterThan(base);
    w.dispose();
    expect(convCacheStats().entries).toBe(0);
    expect(memory().cpu.preparedBytes).toBe(base);
    // Never disposed: the N-API finalizer frees the storage, and its entries with it.
    (() => { F.conv2d(x, Tensor.rand([32, 16, 3, 3], { seed: 13 }), null, { padding: 1 }).dispose(); })();
    expect(convCacheStats().entries).toBe(1);
    await settleGc();
    expect(convCacheStats().entries).toBe(0);
    expect(memory().cpu.preparedBytes).toBe(base);
    x.dispose();
  });

  test("with the cache off, auto counts the preparation: a GEMM beats Winograd's larger prepare on 7x7", () => {
    const x = Tensor.rand([1, 64, 7, 7], { seed: 18 });
    const w = Tensor.rand([64, 64, 3, 3], { seed: 19 });
    const exposed = Tensor.rand([64, 64, 3, 3], { seed: 19 });
    const view = exposed.data();  // a live view: not cached, yet the choice is the same (never GC-dependent)
    const run = (wt: Tensor, algo: ConvAlgo) => { const y = F.conv2d(x, wt, null, { padding: 1, algo }); const b = bits(y); y.dispose(); return b; };
    expect(run(w, 'auto')).toEqual(run(w, 'winograd_2x2_3x3'));  // prepared once: the faster run
    expect(run(exposed, 'auto')).toEqual(run(w, 'winograd_2x2_3x3'));
    setConvCacheLimit(0);  // every call prepares: the cheaper sum
    expect(run(w, 'auto')).toEqual(run(w, 'implicit_gemm'));
    expect(view.length).toBe(64 * 64 * 9);
    for (const t of [x, w, exposed]) t.dispose();
  });

  test('reshaped views of one storage, and a different input size, are separate entries', () => {
    const w = Tensor.rand([12, 8, 3, 3], { seed: 14 });
    const x1 = Tensor.rand([1, 8, 10, 10], { seed: 15 });
    const x2 = Tensor.rand([1, 8, 16, 16], { seed: 16 });
    const y1 = F.conv2d(x1, w, null, { padding: 1, algo: 'winograd_4x4_3x3' });
    const y2 = F.conv2d(x2, w, null, { padding: 1, algo: 'winograd_4x4_3x3' });
    expect(convCacheStats().entries).toBe(2);
    const w2 = w.reshape([24, 4, 3, 3]);
    const x3 = Tensor.rand([1, 4, 10, 10], { seed: 17 });
    const y3 = F.conv2d(x3, w2, null, { padding: 1, algo: 'winograd_4x4_3x3' });
    expect(convCacheStats().entries).toBe(3);
    setConvCacheLimit(0);
    const r3 = F.conv2d(x3, w2, null, { padding: 1, algo: 'winograd_4x4_3x3' });
    expect(bits(y3)).toEqual(bits(r3));
    for (const t of [w, x1, x2, y1, y2, w2, x3, y3, r3]) t.dispose();
  });
});
