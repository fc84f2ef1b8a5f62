// Compiled networks at batch 1 over thread counts, from one source tree (--lib: the repository root whose
// lib/ and build to load; default this one), so bench/pool/scaling.sh can time the pool before and
// after in alternating processes on the same machine. One JSON line per (network, threads): median ms.
//   npx tsx bench/pool/scaling.ts [--lib DIR] [--nets googlenet,resnet50] [--threads 1,2,3,4,8,16] [--runs 15]
import * as path from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const root = path.resolve(opt('--lib') ?? path.join(__dirname, '..', '..'));
const nets = (opt('--nets') ?? 'googlenet,resnet50').split(',');
const counts = (opt('--threads') ?? '1,2,3,4,8,16').split(',').map(Number);
const runs = Number(opt('--runs') ?? 15);
const label = opt('--label') ?? path.basename(root);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = require(path.join(root, 'lib')) as typeof import('../../lib');
const make: Record<string, () => import('../../lib').nn.Module> = {
  googlenet: () => lib.models.googlenet({ auxLogits: false, transformInput: false }),
  resnet50: () => lib.models.resnet50(),
  resnet18: () => lib.models.resnet18(),
  densenet121: () => lib.models.densenet121(),
};
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

for (const net of nets) {
  const shape = [1, 3, 224, 224];
  const model = make[net]().eval();
  const x = lib.Tensor.rand(shape, { seed: 7 });
  lib.setNumThreads(1);
  const plan = lib.compile(model, { inputShape: shape });  // the same algorithms at every count
  for (const T of counts) {
    lib.setNumThreads(T);
    for (let i = 0; i < 3; i++) plan.runSync(x).dispose();
    const t: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      plan.runSync(x).dispose();
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    console.log(JSON.stringify({ tree: label, net, threads: T, ms: +median(t).toFixed(3), min: +Math.min(...t).toFixed(3) }));
  }
  plan.dispose();
}
