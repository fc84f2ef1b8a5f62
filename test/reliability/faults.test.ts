// Faults through the serving path: wrong inputs fail alone, a failing step rejects its batch and the next batch
// runs, a step throwing a non-standard exception, a worker that throws, and (on a GPU) CUDA running out of memory
// inside a plan. After each, the process and the batcher carry on.
import { F, Tensor, compile, cuda, serve } from '../../lib';
import { native } from '../../lib/native';
import { relErr } from '../helpers/check';
import { eagerSample, seededInput } from '../helpers/serve';

const sample = [2, 5, 5];
const w = Tensor.rand([3, 2, 3, 3], { seed: 1, low: -0.5, high: 0.5 });
const model = (x: Tensor) => F.relu(F.conv2d(x, w, null, { padding: 1 }));
afterAll(() => w.dispose());
const input = (seed: number, shape = sample) => seededInput(seed, shape);
/** The model on one sample, eagerly: what a request's slice must equal. */
const reference = (x: Tensor) => eagerSample(model, sample, x);

test('wrong shapes among 200 requests fail alone; every batch-mate gets its own right answer', async () => {
  const b = serve.batcher(model, { inputShape: sample, maxBatch: 8, maxDelayMs: 3 });
  const xs = Array.from({ length: 200 }, (_, i) => (i % 7 === 3 ? input(i, [2, 5, 4]) : i % 11 === 5 ? input(i, [1, 1, ...sample]) : input(i)));
  const rs = await Promise.allSettled(xs.map((x) => b.run(x)));
  rs.forEach((r, i) => {
    const badShape = i % 7 === 3 || (i % 7 !== 3 && i % 11 === 5);
    if (badShape) {
      expect(r).toMatchObject({ status: 'rejected', reason: { code: 'BAD_INPUT' } });
    } else {
      expect(r.status).toBe('fulfilled');
      const y = (r as PromiseFulfilledResult<Tensor>).value;
      expect(relErr(y.data(), reference(xs[i]))).toBeLessThanOrEqual(1e-5);
      y.dispose();
    }
  });
  const s = b.stats();
  expect(s.meanBatchSize).toBeGreaterThan(1);
  expect(s.completed + s.rejected.BAD_INPUT).toBe(200);
  await b.close();
  xs.forEach((x) => x.dispose());
});

test('a step that fails (injected, transient) rejects its batch with the step\'s message; the next batch runs', async () => {
  // In every compiled plan: call 1 (the trace) passes, call 2 (the first run) fails, later calls pass.
  const flaky = (x: Tensor) => F.relu(new Tensor(native.testFailingOp(x.handle, 1, 1)));
  // A long delay: the batch goes when it is full (4), so a stalled machine cannot split it.
  const b = serve.batcher(flaky, { inputShape: [4], maxBatch: 4, maxDelayMs: 10_000 });
  const xs = Array.from({ length: 4 }, (_, i) => input(i, [4]));
  const first = await Promise.allSettled(xs.map((x) => b.run(x)));
  for (const r of first) {
    expect(r.status).toBe('rejected');
    expect(String((r as PromiseRejectedResult).reason.message)).toBe('plan.run: step 1 of 2 (testFailingOp) failed: testFailingOp: failing on purpose (call 2)');
  }
  const second = await Promise.all(xs.map((x) => b.run(x)));
  second.forEach((y, i) => { expect(Array.from(y.data())).toEqual(Array.from(xs[i].data(), (v) => Math.max(v, 0))); y.dispose(); });
  expect(b.stats()).toMatchObject({ failed: 4, completed: 4, batches: 1 });
  await b.close();
  xs.forEach((x) => x.dispose());
});

test('a step that throws a non-standard exception (not an Error object) still rejects with the step, and runs go on', async () => {
  const weird = (x: Tensor) => F.relu(new Tensor(native.testFailingOp(x.handle, 1, 1, true)));
  const plan = compile(weird, { inputShape: [3] });
  const x = input(1, [3]);
  await expect(plan.run(x)).rejects.toThrow('plan.run: step 1 of 2 (testFailingOp) failed: a non-standard exception was thrown');
  const y = await plan.run(x);
  expect(y.shape).toEqual([3]);
  const sync = compile(weird, { inputShape: [3] });
  expect(() => sync.runSync(x)).toThrow('a non-standard exception was thrown');
  [x, y].forEach((t) => t.dispose());
  plan.dispose(); sync.dispose();
});

test('a worker that throws on every batch fails only its own batches; the other device serves the rest', async () => {
  const broken: serve.BatchWorker = { device: 'cuda:1', run: () => { throw new Error('device lost'); }, dispose() {} };
  let good = 0;
  const working: serve.BatchWorker = {
    device: 'cuda:0',
    run: async (x, n) => { good += n; await new Promise((r) => setTimeout(r, 2)); return Tensor.zeros([n, 1]); },
    dispose() {},
  };
  const b = serve.batcher(null as never, { inputShape: sample, maxBatch: 4, maxDelayMs: 1, workers: [working, broken] });
  const x = input(1);
  const rs = await Promise.allSettled(Array.from({ length: 100 }, () => b.run(x)));
  const failed = rs.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  expect(failed.every((r) => r.reason.message === 'device lost')).toBe(true);
  expect(rs.length - failed.length).toBe(good); // every request the working device ran succeeded
  expect(good).toBeGreaterThan(0);
  expect(failed.length).toBeGreaterThan(0);
  rs.forEach((r) => r.status === 'fulfilled' && r.value.dispose());
  // The batcher is still usable, and close() settles.
  await b.close();
  x.dispose();
});

const gpu = cuda.isAvailable();
(gpu ? test : test.skip)(`CUDA out of memory inside a plan rejects that run; the next run works${gpu ? '' : ` (skipped: ${cuda.unavailableReason()})`}`, async () => {
  // A plan whose run needs ~2.1 GB of activations, then the device filled until an allocation fails.
  const wd = Tensor.rand([256, 3, 3, 3], { seed: 2, device: 'cuda' });
  const f = (x: Tensor) => F.relu(F.conv2d(x, wd, null, { padding: 1 }));
  const shape = [8, 3, 512, 512];
  const plan = compile(f, { inputShape: shape, device: 'cuda' });
  const x = Tensor.rand(shape, { seed: 3, device: 'cuda' });
  const filler: Tensor[] = [];
  try {
    for (const gb of [16, 4, 1, 0.25]) {
      for (;;) {
        try { filler.push(Tensor.zeros([Math.round((gb * 2 ** 30) / 4)], { device: 'cuda' })); } catch { break; }
      }
    }
    await expect(plan.run(x)).rejects.toThrow(/plan\.run: step \d+ of \d+ \(conv2d.*\) failed: .*(out of memory|cudaMalloc)/i);
  } finally {
    filler.forEach((t) => t.dispose());
  }
  const y = await plan.run(x);
  expect(y.shape).toEqual([8, 256, 512, 512]);
  [x, y, wd].forEach((t) => t.dispose());
  plan.dispose();
});
