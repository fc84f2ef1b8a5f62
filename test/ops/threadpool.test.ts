// The thread pool's contract (native/core/threadpool.cc), through its internal test hooks: how a region
// is split (a per-region thread count from the work size, every participant fed), and one region per
// thread count that checks coverage, FTZ/DAZ on every thread, nested regions inline, and an exception
// thrown in a chunk reaching the caller with the pool still usable after it.
import { getNumThreads, setNumThreads } from '../../lib';
import { native } from '../../lib/native';

const THREADS = [1, 2, 3, 7, 16, 64];

describe('splitRegion: threads per region from the work size', () => {
  test('a small region wakes only the threads it can feed', () => {
    expect(native.poolSplit(4, 1, 64)).toEqual([4, 1, 4]);          // 4 chunks of work: 4 threads, not 64
    expect(native.poolSplit(20, 1, 16)).toEqual([10, 1, 20]);       // 2 rounds either way: 10 threads, not 16
    expect(native.poolSplit(1000, 1, 16)).toEqual([16, 16, 63]);    // enough work: every thread, ≤ 4 chunks each
    expect(native.poolSplit(100, 60, 16)).toEqual([1, 100, 1]);     // under two grains: the caller alone
    expect(native.poolSplit(1 << 20, 1, 1)).toEqual([1, 1 << 18, 4]);
  });

  test('invariants over a grid of sizes, grains and thread counts', () => {
    for (const threads of [1, 2, 3, 7, 16, 64, 1024])
      for (const grain of [1, 3, 64])
        for (let n = 1; n <= 3000; n += n < 300 ? 1 : 97) {
          const [p, chunk, chunks] = native.poolSplit(n, grain, threads);
          const units = Math.max(1, Math.floor(n / grain));
          const at = `n ${n} grain ${grain} threads ${threads}`;
          expect([at, p >= 1 && p <= threads && p <= units]).toEqual([at, true]);
          expect([at, chunks >= p && chunks <= 4 * p]).toEqual([at, true]);         // every participant gets a chunk
          expect([at, chunks === 1 || chunk >= grain]).toEqual([at, true]);         // chunks hold at least a grain
          expect([at, chunk * chunks >= n && chunk * (chunks - 1) < n]).toEqual([at, true]);  // they cover [0, n)
          // Fewest threads for the same rounds: one thread fewer would need more rounds of chunks.
          const rounds = (q: number) => Math.ceil(chunks / q);
          expect([at, p === 1 || rounds(p - 1) > rounds(p)]).toEqual([at, true]);
        }
  });
});

describe('one region at 1, 2, 3, 7, 16 and 64 threads', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));

  test.each(THREADS)('%i threads: coverage, FTZ/DAZ, nested inline, exceptions, thread count', (n) => {
    setNumThreads(n);
    for (let rep = 0; rep < 20; rep++) {
      const r = native.poolCheck(5000, 7, -1);
      expect(r).toMatchObject({ covered: true, ftz: true, nestedInline: true });
      expect(r.threads).toBeLessThanOrEqual(Math.min(n, native.poolSplit(5000, 7, n)[0]));
    }
    // 4 chunks of work never spread over more than 4 threads, however many the pool has.
    expect(native.poolCheck(4, 1, -1).threads).toBeLessThanOrEqual(4);
    for (const at of [0, 2500, 4999]) expect(() => native.poolCheck(5000, 7, at)).toThrow(`poolCheck: thrown at ${at}`);
    expect(native.poolCheck(5000, 7, -1)).toMatchObject({ covered: true, ftz: true, nestedInline: true });
  });
});
