// Cold start: what a fresh process pays before its first fast inference. Each scenario runs in its own
// child process (nothing warm from another), resnet18 at batch 1, 224², CPU, random weights:
//   eager   - require('convnets'), build the model, forward #1, forward #2
//   compile - build, compile() (traces one eager pass), plan.run #1, plan.run #2
//   warm    - build, compile({warmup: true}), then plan.run #1 (the first request)
// Usage: npx tsx bench/cold-start.ts [--net resnet18] [--runs 3]   (prints the median of each step over runs)
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const net = opt('--net', 'resnet18');
const runs = Number(opt('--runs', '3'));
const root = path.join(__dirname, '..');

const child = (scenario: string) => `
const t0 = performance.now();
const c = require(${JSON.stringify(path.join(root, 'dist'))});
const out = { require: performance.now() - t0 };
const time = (k, f) => { const s = performance.now(); const r = f(); out[k] = performance.now() - s; return r; };
const timeAsync = async (k, f) => { const s = performance.now(); const r = await f(); out[k] = performance.now() - s; return r; };
(async () => {
  const m = time('build', () => c.models[${JSON.stringify(net)}]().eval());
  const x = c.Tensor.rand([1, 3, 224, 224], { seed: 1 });
  if (${JSON.stringify(scenario)} === 'eager') {
    time('forward #1', () => m.forward(x).dispose());
    time('forward #2', () => m.forward(x).dispose());
  } else if (${JSON.stringify(scenario)} === 'compile') {
    const p = time('compile', () => c.compile(m, { inputShape: [1, 3, 224, 224] }));
    await timeAsync('run #1', async () => (await p.run(x)).dispose());
    await timeAsync('run #2', async () => (await p.run(x)).dispose());
  } else {
    const p = time('compile+warmup', () => c.compile(m, { inputShape: [1, 3, 224, 224], warmup: true }));
    await timeAsync('run #1', async () => (await p.run(x)).dispose());
  }
  console.log(JSON.stringify(out));
})();`;

const median = (v: number[]) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const scenario of ['eager', 'compile', 'warm']) {
  const samples: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) samples.push(JSON.parse(execFileSync(process.execPath, ['-e', child(scenario)], { encoding: 'utf8' })));
  const cells = Object.keys(samples[0]).map((k) => `${k} ${median(samples.map((s) => s[k])).toFixed(0)} ms`);
  console.log(`${net} ${scenario.padEnd(7)}: ${cells.join(', ')}`);
}
