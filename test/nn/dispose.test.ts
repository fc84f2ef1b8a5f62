// Lifetimes: every disposable object of the API has a run-time Symbol.dispose (what `using` calls; the
// types are checked by test/types), and Module.dispose frees parameters, buffers and prepared conv plans.
import { Tensor, ConvPlan, compile, memory, models, nn } from '../../lib';

test('Tensor, ConvPlan, CompiledPlan and Module dispose through Symbol.dispose', () => {
  const before = memory().cpu;
  const t = Tensor.zeros([4, 4]);
  const w = Tensor.rand([2, 4, 1, 1], { seed: 1 });
  const plan = new ConvPlan(w, null, [1, 4, 3, 3]);
  const net = new nn.Sequential(new nn.Conv2d(4, 2, 1), new nn.ReLU());
  const compiled = compile(net, { inputShape: [1, 4, 3, 3] });
  for (const d of [t, plan, compiled, net, w]) d[Symbol.dispose]();
  expect(t.disposed).toBe(true);
  const probe = Tensor.zeros([1, 4, 3, 3]);
  expect(() => plan.run(probe)).toThrow(/disposed/);
  probe.dispose();
  expect(compiled.disposed).toBe(true);
  expect(net.parameters().every((p) => p.disposed)).toBe(true);
  expect(memory().cpu).toMatchObject({ tensors: before.tensors, bytes: before.bytes });
});

test('Module.dispose frees every parameter and buffer and every prepared conv plan, once', () => {
  const disposeSpy = jest.spyOn(ConvPlan.prototype, 'dispose');
  try {
    const before = memory().cpu.tensors;
    const net = models.resnet18({ numClasses: 4 }).eval();
    const x = Tensor.rand([1, 3, 32, 32], { seed: 2 });
    net.forward(x).dispose();
    const convs = net.modules().filter((m) => m instanceof nn.Conv2d).length;
    expect(convs).toBe(20);
    expect(disposeSpy).not.toHaveBeenCalled();
    net.dispose();
    expect(disposeSpy).toHaveBeenCalledTimes(convs); // one prepared plan per conv layer (one shape, one activation)
    net.dispose(); // a second dispose frees nothing more
    expect(disposeSpy).toHaveBeenCalledTimes(convs);
    x.dispose();
    expect(memory().cpu.tensors).toBe(before);
    const probe = Tensor.zeros([1, 3, 32, 32]);
    expect(() => net.forward(probe)).toThrow(/disposed/);
    probe.dispose();
  } finally {
    disposeSpy.mockRestore();
  }
});

test('replacing weights (loadStateDict, to) frees the stale prepared plans', () => {
  const disposeSpy = jest.spyOn(ConvPlan.prototype, 'dispose');
  try {
    const conv = new nn.Conv2d(3, 4, 3).eval();
    conv.forward(Tensor.zeros([1, 3, 8, 8])).dispose();
    conv.loadStateDict(new nn.Conv2d(3, 4, 3).stateDict());
    expect(disposeSpy).toHaveBeenCalledTimes(1);
    conv.dispose();
  } finally {
    disposeSpy.mockRestore();
  }
});
