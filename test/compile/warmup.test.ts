// plan.warmup() / warmupSync() and compile({warmup}): run the plan on zeros before the first request, leave
// nothing allocated behind, and reject bad arguments.
import { compile, memory, nn, Tensor } from '../../lib';
import { relErr } from '../helpers/check';

const net = () => new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2)).eval();

test('warmup runs the plan the given number of times on the worker and resolves to the plan', async () => {
  const m = net();
  const plan = compile(m, { inputShape: [2, 3, 12, 12] });
  const runs = jest.spyOn(plan, 'run');
  const before = memory().cpu.tensors;
  await expect(plan.warmup(3)).resolves.toBe(plan);
  expect(runs).toHaveBeenCalledTimes(3);
  for (const [x] of runs.mock.calls) expect(x.shape).toEqual([2, 3, 12, 12]);
  // the zero input and the outputs are freed (<=: the GC may free earlier garbage meanwhile)
  expect(memory().cpu.tensors).toBeLessThanOrEqual(before);
  const x = Tensor.rand([2, 3, 12, 12], { seed: 4 });
  const want = m.forward(x);
  const got = await plan.run(x);
  expect(relErr(got.data(), want.data())).toBeLessThan(1e-5); // the warm plan still computes the model
  plan.dispose();
  m.dispose();
});

test('compile({warmup}) warms synchronously; warmupSync returns the plan', () => {
  const spy = jest.spyOn(require('../../lib/compile').CompiledPlan.prototype, 'runSync');
  try {
    const m = net();
    const plan = compile(m, { inputShape: [1, 3, 8, 8], warmup: 2 });
    expect(spy).toHaveBeenCalledTimes(2);
    compile(m, { inputShape: [1, 3, 8, 8], warmup: true }).dispose();
    expect(spy).toHaveBeenCalledTimes(3);
    compile(m, { inputShape: [1, 3, 8, 8], warmup: false }).dispose();
    expect(spy).toHaveBeenCalledTimes(3);
    expect(plan.warmupSync(0)).toBe(plan);
    plan.dispose();
    m.dispose();
  } finally {
    spy.mockRestore();
  }
});

test('bad warmup arguments and disposed plans are errors', async () => {
  const m = net();
  expect(() => compile(m, { inputShape: [1, 3, 8, 8], warmup: -1 })).toThrow('compile: warmup must be a boolean or a non-negative integer, got -1');
  expect(() => compile(m, { inputShape: [1, 3, 8, 8], warmup: 'yes' as never })).toThrow(/compile: warmup must be a boolean/);
  const plan = compile(m, { inputShape: [1, 3, 8, 8] });
  await expect(plan.warmup(1.5)).rejects.toThrow('plan.warmup: runs must be a non-negative integer, got 1.5');
  plan.dispose();
  await expect(plan.warmup()).rejects.toThrow('plan.warmup: the plan was disposed');
  expect(() => plan.warmupSync()).toThrow('plan.warmup: the plan was disposed');
  m.dispose();
});
