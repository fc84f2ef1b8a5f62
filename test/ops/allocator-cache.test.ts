// The CPU caching allocator's policy (native/core/allocator.cc): blocks freed and asked for again (activations,
// workspaces) stay cached, so an eager loop takes nothing new from the system; long-lived blocks freed once
// (a module's weights after compile()) go back to the system without emptyCache(). All in allocations
// counted by the allocator, never in time: deterministic.
import { Tensor, compile, emptyCache, getNumThreads, memory, models, setNumThreads } from '../../lib';

const cpu = () => memory().cpu;
const weightBytes = (m: { parameters(): Tensor[] }) => m.parameters().reduce((a, p) => a + p.numel * 4, 0);

test('a module disposed after compile() leaves its weights in no cache once the plan has run', async () => {
  emptyCache();
  const m = models.resnet18().eval();
  const weights = weightBytes(m); // 46 MB
  const plan = compile(m, { inputShape: [1, 3, 32, 32] });
  const x = Tensor.rand([1, 3, 32, 32], { seed: 1 });
  // Freed right before the first run, no allocation in between (the allocator's clock has not moved): the
  // run that plans the arena still counts them as older than itself.
  m.dispose();
  expect(cpu().cachedBytes).toBeGreaterThan(weights / 2); // cached until the plan settles
  for (let i = 0; i < 3; i++) (await plan.run(x)).dispose();
  expect(cpu().cachedBytes).toBeLessThan(weights / 10);
  plan.dispose();
  x.dispose();
});

test('weights freed after the plan has run go back to the system on free', async () => {
  emptyCache();
  const m = models.resnet18().eval();
  const weights = weightBytes(m);
  const plan = compile(m, { inputShape: [1, 3, 32, 32] });
  const x = Tensor.rand([1, 3, 32, 32], { seed: 2 });
  (await plan.run(x)).dispose(); // the steady-state point: m's weights were born before it
  const before = cpu().cachedBytes;
  m.dispose();
  expect(cpu().cachedBytes - before).toBeLessThan(weights / 10);
  (await plan.run(x)).dispose();
  plan.dispose(); // its prepared weights, born before the point too
  expect(cpu().cachedBytes).toBeLessThan(weights / 10);
  x.dispose();
});

test('eager forward passes reuse cached activation blocks: the second takes nothing from the system', () => {
  // One thread: with two, the pool's tasks may hold one more workspace of a size at once in a later pass
  // than in the first (scheduling, not the cache's policy), which makes the count differ by a block or two.
  const threads = getNumThreads();
  setNumThreads(1);
  try {
    const m = models.resnet18().eval();
    const x = Tensor.rand([1, 3, 64, 64], { seed: 3 });
    m.forward(x).dispose();
    const first = cpu();
    expect(first.cachedBytes).toBeGreaterThan(0); // the activations, kept for the next pass
    for (let i = 0; i < 3; i++) m.forward(x).dispose();
    const after = cpu();
    expect(after.systemAllocations).toBe(first.systemAllocations);
    expect(after.cachedBytes).toBe(first.cachedBytes);
    m.dispose();
    x.dispose();
  } finally {
    setNumThreads(threads);
  }
});

test('a cached block unused for many allocations goes back; emptyCache() still empties the cache', () => {
  emptyCache();
  const big = Tensor.zeros([1 << 20]); // 4 MiB
  big.dispose();
  expect(cpu().cachedBytes).toBeGreaterThanOrEqual(4 << 20);
  // Small allocations that the cache serves: the big block sits idle meanwhile.
  for (let i = 0; i < 20000; i++) Tensor.zeros([16]).dispose();
  expect(cpu().cachedBytes).toBeLessThan(1 << 20);

  const again = Tensor.zeros([1 << 20]);
  again.dispose();
  expect(cpu().cachedBytes).toBeGreaterThanOrEqual(4 << 20); // freshly freed: cached
  emptyCache();
  expect(cpu().cachedBytes).toBe(0);
});
