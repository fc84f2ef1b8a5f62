// serve.batcher: requests within maxDelayMs share a batch and each gets its own slice; backpressure,
// cancellation, close(), stats(), faults, and least-loaded dispatch over several workers.
import { F, Tensor, memory, serve } from '../../lib';
import { native } from '../../lib/native';
import { relErr } from '../helpers/check';
import { eagerSample, seededInput } from '../helpers/serve';
import { settleGc } from '../compile/gc';

const sample = [3, 6, 5];
const w1 = Tensor.rand([4, 3, 3, 3], { seed: 1, low: -0.5, high: 0.5 });
const w2 = Tensor.rand([7, 4 * 4 * 3], { seed: 2, low: -0.3, high: 0.3 });
const model = (x: Tensor) => F.softmax(F.linear(F.flatten(F.conv2d(x, w1, null, { activation: 'relu' })), w2), 1);
afterAll(() => { w1.dispose(); w2.dispose(); });

const input = (seed: number, shape = sample) => seededInput(seed, shape);
/** The model on one sample, eagerly: what a request's slice must equal. */
const reference = (x: Tensor) => eagerSample(model, sample, x);

/** A worker that records its batches and finishes when the test says so. */
function gatedWorker(device = 'cpu') {
  const gates: { planSize: number; first: number; open: (t?: Tensor | Error) => void }[] = [];
  const worker: serve.BatchWorker & { gates: typeof gates; sizes: number[] } = {
    device, gates, sizes: [],
    run(x: Tensor, planSize: number) {
      worker.sizes.push(planSize);
      const first = x.data()[0];
      return new Promise<Tensor>((resolve, reject) => {
        gates.push({
          planSize, first,
          open: (t) => (t instanceof Error ? reject(t) : resolve(t ?? Tensor.from(new Float32Array(planSize * 2).fill(first), [planSize, 2]))),
        });
      });
    },
    dispose() {},
  };
  return worker;
}
const tick = () => new Promise((r) => setImmediate(r));

describe('batching', () => {
  test('requests arriving within maxDelayMs run as one batch; each resolves with its own slice', async () => {
    const b = serve.batcher(model, { inputShape: sample, maxBatch: 8, maxDelayMs: 10_000 }); // sent when full
    const xs = Array.from({ length: 8 }, (_, i) => input(10 + i));
    const ys = await Promise.all(xs.map((x) => b.run(x)));
    ys.forEach((y, i) => {
      expect(y.shape).toEqual([7]);
      expect(relErr(y.data(), reference(xs[i]))).toBeLessThanOrEqual(1e-5);
    });
    expect(b.stats()).toMatchObject({ batches: 1, meanBatchSize: 8, completed: 8, queueDepth: 0, inFlightBatches: 0 });
    // A leading batch dimension of 1 is accepted and kept on the output (in a batch with a plain sample).
    const one = input(30, [1, ...sample]);
    const pair = await Promise.all([b.run(one), ...xs.slice(0, 7).map((x) => b.run(x))]);
    const y1 = pair[0];
    expect(y1.shape).toEqual([1, 7]);
    expect(pair[1].shape).toEqual([7]);
    expect(relErr(y1.data(), reference(one))).toBeLessThanOrEqual(1e-5);
    pair.slice(1).forEach((y) => y.dispose());
    await b.close();
    [...xs, ...ys, one, y1].forEach((t) => t.dispose());
  });

  test('on the CPU a partial batch runs as the largest plan size it fills (5 → 4 + 1), padded off it (5 → 8)', async () => {
    for (const pad of [false, true]) {
      const b = serve.batcher(model, { inputShape: sample, maxBatch: 8, maxDelayMs: 300, pad });
      const xs = Array.from({ length: 5 }, (_, i) => input(40 + i));
      const ys = await Promise.all(xs.map((x) => b.run(x)));
      ys.forEach((y, i) => expect(relErr(y.data(), reference(xs[i]))).toBeLessThanOrEqual(1e-5));
      expect(b.stats().batches).toBe(pad ? 1 : 2);
      expect(b.stats().meanBatchSize).toBe(pad ? 5 : 2.5);
      await b.close();
      [...xs, ...ys].forEach((t) => t.dispose());
    }
  });

  test('a request with a wrong input shape fails alone; its batch-mates succeed', async () => {
    const b = serve.batcher(model, { inputShape: sample, maxBatch: 3, maxDelayMs: 300 });
    const good = [input(1), input(2), input(3)];
    const bad = input(4, [3, 5, 6]);
    const results = await Promise.allSettled([b.run(good[0]), b.run(bad), b.run(good[1]), b.run(good[2])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const err = (results[1] as PromiseRejectedResult).reason;
    expect(err).toMatchObject({ code: 'BAD_INPUT', message: 'batcher.run: expected an input of shape [3, 6, 5] (or [1, 3, 6, 5]), got [3, 5, 6]' });
    expect(b.stats()).toMatchObject({ batches: 1, meanBatchSize: 3 });
    await expect(b.run('x' as unknown as Tensor)).rejects.toMatchObject({ code: 'BAD_INPUT', message: 'batcher.run: input must be a Tensor' });
    // An input disposed while it waits fails alone when its batch is stacked.
    const gone = input(5), mate = input(6);
    const p = [b.run(gone), b.run(mate)];
    gone.dispose();
    const r = await Promise.allSettled(p);
    expect(r[0]).toMatchObject({ status: 'rejected', reason: { code: 'BAD_INPUT' } });
    expect(r[1].status).toBe('fulfilled');
    await b.close();
    [...good, bad, mate].forEach((t) => t.dispose());
    results.concat(r).forEach((x) => x.status === 'fulfilled' && (x.value as Tensor).dispose());
  });
});

describe('backpressure, cancellation, close', () => {
  test('a full queue rejects at once with code QUEUE_FULL', async () => {
    const w = gatedWorker();
    const b = serve.batcher(null as never, { inputShape: sample, maxBatch: 2, maxDelayMs: 0, maxQueue: 3, workers: [w] });
    const xs = Array.from({ length: 6 }, (_, i) => input(i));
    const runs = xs.map((x) => b.run(x).then(() => 'ok', (e) => e.code));
    await tick();
    // One batch of 1 in flight (the first request went at once), 3 waiting, the next 2 refused.
    expect(b.stats()).toMatchObject({ queueDepth: 3, inFlightBatches: 1, rejected: { QUEUE_FULL: 2 } });
    w.gates[0].open();
    await tick();
    w.gates[1].open();
    await tick();
    w.gates[2].open();
    expect(await Promise.all(runs)).toEqual(['ok', 'ok', 'ok', 'ok', 'QUEUE_FULL', 'QUEUE_FULL']);
    expect(w.sizes).toEqual([1, 2, 1]);
    const again = b.run(xs[0]); // the queue has room again
    await tick();
    w.gates[3].open();
    expect(await again).toBeInstanceOf(Tensor);
    await b.close();
    xs.forEach((x) => x.dispose());
  });

  test('an aborted request is dropped before it runs; one already aborted never queues', async () => {
    const w = gatedWorker();
    const b = serve.batcher(null as never, { inputShape: sample, maxBatch: 4, maxDelayMs: 0, workers: [w] });
    const xs = [1, 2, 3, 4].map((s) => Tensor.from(new Float32Array(90).fill(s), sample));
    const first = b.run(xs[0]); // goes alone
    const ac = new AbortController();
    const dropped = b.run(xs[1], { signal: ac.signal });
    const kept = [b.run(xs[2]), b.run(xs[3])];
    ac.abort();
    const e = await dropped.catch((x) => x);
    expect(e).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    w.gates[0].open();
    await tick();
    expect(w.gates.map((g) => g.first)).toEqual([1, 3]); // the second batch starts with input 3: input 2 never ran
    w.gates[1].open();
    await Promise.all([first, ...kept]);
    const pre = new AbortController();
    pre.abort();
    await expect(b.run(xs[0], { signal: pre.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    // Aborting a running request rejects it now; its slice is dropped when the batch ends.
    const ac2 = new AbortController();
    const running = b.run(xs[0], { signal: ac2.signal });
    ac2.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORT_ERR' });
    w.gates[2].open();
    await b.close();
    expect(b.stats()).toMatchObject({ rejected: { ABORT_ERR: 3 }, completed: 3 });
    xs.forEach((x) => x.dispose());
  });

  test('close() lets in-flight batches finish, rejects the waiting ones with CLOSED, refuses new ones', async () => {
    const w = gatedWorker();
    const b = serve.batcher(null as never, { inputShape: sample, maxBatch: 2, maxDelayMs: 0, workers: [w] });
    const xs = Array.from({ length: 4 }, (_, i) => input(i));
    const runs = xs.map((x) => b.run(x).then((y) => { y.dispose(); return 'ok'; }, (e) => e.code));
    await tick();
    let closed = false;
    const closing = b.close().then(() => { closed = true; });
    expect(b.close()).toBe(b.close());
    await tick();
    expect(closed).toBe(false); // the in-flight batch is still running
    w.gates[0].open();
    await closing;
    expect(await Promise.all(runs)).toEqual(['ok', 'CLOSED', 'CLOSED', 'CLOSED']);
    await expect(b.run(xs[0])).rejects.toMatchObject({ code: 'CLOSED' });
    xs.forEach((x) => x.dispose());
  });

  test('memory() returns to its baseline after close(): plans and batch buffers are freed', async () => {
    const xs = Array.from({ length: 6 }, (_, i) => input(i));
    await settleGc();
    const start = memory().cpu;
    const b = serve.batcher(model, { inputShape: sample, maxBatch: 4, maxDelayMs: 1 });
    const ys = await Promise.all(xs.map((x) => b.run(x)));
    ys.forEach((y) => y.dispose());
    await b.close();
    await settleGc();
    expect(memory().cpu).toMatchObject({ tensors: start.tensors, bytes: start.bytes });
    xs.forEach((x) => x.dispose());
  });
});

describe('faults', () => {
  test('a failing step rejects its batch with the step\'s message; the next batch runs', async () => {
    // Each compiled plan (sizes 1 and 2) records its own op, whose first call (the trace) passes; runs fail.
    const failing = (x: Tensor) => F.relu(new Tensor(native.testFailingOp(x.handle, 1)));
    const b = serve.batcher(failing, { inputShape: [2, 2], maxBatch: 2, maxDelayMs: 5 });
    const xs = [input(1, [2, 2]), input(2, [2, 2])];
    const r = await Promise.allSettled(xs.map((x) => b.run(x)));
    for (const x of r) {
      expect(x.status).toBe('rejected');
      expect((x as PromiseRejectedResult).reason.message).toMatch(/^plan\.run: step 1 of 2 \(testFailingOp\) failed: testFailingOp: failing on purpose/);
    }
    await b.close();
    // A worker that fails once, then works: only the first batch fails.
    const w = gatedWorker();
    const b2 = serve.batcher(null as never, { inputShape: sample, maxBatch: 2, maxDelayMs: 0, workers: [w] });
    const ys = input(3);
    const a = b2.run(ys).catch((e) => e.message);
    const c = b2.run(ys);
    w.gates[0].open(new Error('injected failure'));
    expect(await a).toBe('injected failure');
    await tick();
    w.gates[1].open();
    expect((await c).shape).toEqual([2]);
    await b2.close();
    [...xs, ys].forEach((x) => x.dispose());
  });

  test('a worker that throws (synchronously, or returns garbage) fails its batch, not the batcher', async () => {
    let calls = 0;
    const flaky: serve.BatchWorker = {
      device: 'cpu',
      run(x, planSize) {
        calls++;
        if (calls === 1) throw new TypeError('worker exploded');
        if (calls === 2) return Promise.resolve('nonsense' as unknown as Tensor);
        return Promise.resolve(Tensor.zeros([planSize, 3]));
      },
      dispose() {},
    };
    const b = serve.batcher(null as never, { inputShape: sample, maxBatch: 1, maxDelayMs: 0, workers: [flaky] });
    const x = input(1);
    await expect(b.run(x)).rejects.toThrow('worker exploded');
    await expect(b.run(x)).rejects.toThrow('batcher: the worker returned no Tensor for a batch of 1');
    expect((await b.run(x)).shape).toEqual([3]);
    expect(b.stats()).toMatchObject({ failed: 2, completed: 1 });
    await b.close();
    x.dispose();
  });
});

describe('several devices: one worker each, least-loaded dispatch', () => {
  test('each batch goes to the worker with the fewest samples in flight', async () => {
    const a = gatedWorker('cuda:0'), c = gatedWorker('cuda:1');
    const b = serve.batcher(null as never, { inputShape: sample, maxBatch: 4, maxDelayMs: 0, maxInFlightPerWorker: 2, workers: [a, c] });
    const xs = Array.from({ length: 8 }, (_, i) => Tensor.from(new Float32Array(90).fill(i + 1), sample));
    const runs = xs.map((x) => b.run(x));
    await tick();
    // 1 → a; 2 → c (a holds 1 sample); 3 → a (a tie: the first); 4 → c; both full; 5-8 wait.
    expect([a.gates.map((g) => g.first), c.gates.map((g) => g.first)]).toEqual([[1, 3], [2, 4]]);
    expect(b.stats().queueDepth).toBe(4);
    c.gates[0].open();
    await tick();
    expect(c.gates.map((g) => [g.first, g.planSize])).toEqual([[2, 1], [4, 1], [5, 4]]); // c took the next full batch
    for (const g of [...a.gates, ...c.gates.slice(1)]) g.open();
    await Promise.all(runs);
    const s = b.stats();
    expect(s.workers.map((w) => [w.device, w.batches, w.samples])).toEqual([['cuda:0', 2, 2], ['cuda:1', 3, 6]]);
    await b.close();
    xs.forEach((x) => x.dispose());
  });

  test('a slow worker gets fewer batches than a fast one', async () => {
    const timed = (device: string, ms: number): serve.BatchWorker => ({
      device,
      run: (x, n) => new Promise((r) => setTimeout(() => r(Tensor.zeros([n, 1])), ms)),
      dispose() {},
    });
    const b = serve.batcher(null as never, { inputShape: sample, maxBatch: 1, maxDelayMs: 0, workers: [timed('slow', 60), timed('fast', 1)] });
    const x = input(1);
    const ys = await Promise.all(Array.from({ length: 30 }, () => b.run(x)));
    const [slow, fast] = b.stats().workers;
    expect(slow.batches + fast.batches).toBe(30);
    expect(fast.batches).toBeGreaterThan(slow.batches);
    await b.close();
    [x, ...ys].forEach((t) => t.dispose());
  });

  test('CPU workers standing in for devices: both run batches, every result is right', async () => {
    const infos: serve.BatchInfo[] = [];
    const b = serve.batcher(model, { inputShape: sample, devices: ['cpu', 'cpu'], maxBatch: 4, maxDelayMs: 1, onBatch: (i) => infos.push(i) });
    const xs = Array.from({ length: 24 }, (_, i) => input(100 + i));
    const ys = await Promise.all(xs.map((x) => b.run(x)));
    ys.forEach((y, i) => expect(relErr(y.data(), reference(xs[i]))).toBeLessThanOrEqual(1e-5));
    const s = b.stats();
    expect(s.workers.every((w) => w.batches > 0)).toBe(true);
    expect(s.completed).toBe(24);
    // onBatch saw every batch: sizes add up, all ran, each on a plan of its own size (no padding on the CPU).
    expect(infos.length).toBe(s.batches);
    expect(infos.reduce((a, i) => a + i.size, 0)).toBe(24);
    expect(infos.every((i) => i.ok && i.size === i.planSize && i.ms >= 0)).toBe(true);
    expect(Number.isFinite(s.p50Ms) && s.p99Ms >= s.p50Ms).toBe(true);
    await b.close();
    [...xs, ...ys].forEach((t) => t.dispose());
  });
});

test('options are validated, each error naming the option', () => {
  const bad: [object, RegExp][] = [
    [{}, /inputShape must be a non-empty array/],
    [{ inputShape: [3, 0] }, /inputShape must be a non-empty array of positive integers/],
    [{ inputShape: sample, maxBatch: 0 }, /maxBatch must be an integer from 1 to 1024, got 0/],
    [{ inputShape: sample, maxBatch: 2.5 }, /maxBatch must be an integer/],
    [{ inputShape: sample, maxDelayMs: -1 }, /maxDelayMs must be a finite number ≥ 0, got -1/],
    [{ inputShape: sample, maxDelayMs: NaN }, /maxDelayMs must be a finite number/],
    [{ inputShape: sample, maxQueue: 0 }, /maxQueue must be an integer/],
    [{ inputShape: sample, devices: [] }, /devices must be a non-empty array/],
    [{ inputShape: sample, device: 'gpu' }, /devices must be a non-empty array of 'cpu'/],
    [{ inputShape: sample, pad: 'yes' }, /pad must be a boolean/],
    [{ inputShape: sample, workers: [{}] }, /workers must be a non-empty array/],
  ];
  for (const [opts, msg] of bad) expect(() => serve.batcher(model, opts as serve.BatcherOptions)).toThrow(msg);
  expect(() => serve.batcher(model, undefined as never)).toThrow('serve.batcher: options {inputShape} are required');
  expect(() => serve.batcher(undefined as never, { inputShape: sample })).toThrow('serve.batcher: a model is required');
});
