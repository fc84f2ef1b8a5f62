// compile() on a torchvision network (lib/models): resnet18 at 64×64, BN statistics randomised so that
// folding them into the convs changes the weights. Skipped, with the reason, where lib/models is absent.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, compile, memory } from '../../lib';
import { relErr } from '../helpers/check';
import { settleGc } from './gc';

const haveModels = fs.existsSync(path.join(__dirname, '../../lib/models/index.ts'));
const suite = haveModels ? describe : describe.skip;

interface ModuleLike {
  forward(x: Tensor): Tensor;
  eval(): unknown;
  stateDict(): Map<string, Tensor>;
  loadStateDict(d: Map<string, Tensor>, o: { strict: boolean }): unknown;
  dispose(): void;
}

suite(haveModels ? 'resnet18 at 64×64' : 'resnet18 (skipped: lib/models is not on this branch)', () => {
  test('the plan (BN folded, ReLU fused) matches eager mode; memory is back after dispose', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const models = require('../../lib/models') as { resnet18(): ModuleLike };
    const model = models.resnet18();
    const stats = new Map<string, Tensor>();
    let seed = 1;
    for (const [key, t] of model.stateDict()) {
      const ranges: [string, number, number][] = [['running_var', 0.5, 1.5], ['running_mean', -0.2, 0.2], ['bn', 0.5, 1.5]];
      const r = ranges.find(([k]) => key.includes(k));
      if (r && t.shape.length === 1) stats.set(key, Tensor.rand(t.shape, { seed: seed++, low: r[1], high: r[2] }));
    }
    model.loadStateDict(stats, { strict: false });
    stats.forEach((t) => t.dispose());
    model.eval();
    const shape = [2, 3, 64, 64];
    const x = Tensor.rand(shape, { seed: 99, low: -1, high: 1 });
    await settleGc(); // loadStateDict's data() views hold the replaced tensors until a GC
    const start = memory().cpu;
    const plan = compile(model, { inputShape: shape });
    const ops = plan.ops();
    expect(ops.filter((o) => o === 'batchNorm' || o === 'relu')).toEqual([]);
    expect(ops.filter((o) => o.startsWith('conv2d+batchNorm')).length).toBe(20);
    const y = await plan.run(x);
    expect(y.shape).toEqual([2, 1000]);
    const out = Float32Array.from(y.data());
    y.dispose();
    plan.dispose();
    await settleGc();
    // Tracing freed its activations, the plan its folded weights: nothing waits for the garbage collector.
    expect(memory().cpu).toMatchObject({ tensors: start.tensors, bytes: start.bytes });
    const eager = model.forward(x);
    expect(relErr(out, eager.data())).toBeLessThanOrEqual(1e-4);
    [x, eager].forEach((t) => t.dispose());
    model.dispose();
  });
});
