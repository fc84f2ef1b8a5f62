// What decides the batcher's plans (lib/serve): ResNet-18 at 224² on the CPU, compiled per batch size.
// Per size: compile time (it runs on the JS thread), memory the plan keeps, and the median run time per
// sample. Run: npx tsx bench/batch-sizes.ts [--sizes 1,2,3,4,5,8,16,32] [--reps 5]
import { Tensor, compile, memory, models } from '../lib';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const sizes = arg('--sizes', '1,2,3,4,5,6,8,12,16,24,32').split(',').map(Number);
const reps = Number(arg('--reps', '5'));

async function main() {
  const net = models.resnet18().eval();
  console.log('| batch | compile ms | plan MB kept | run ms (median) | ms per sample |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const b of sizes) {
    const m0 = memory().cpu.bytes;
    const t0 = performance.now();
    const plan = compile(net, { inputShape: [b, 3, 224, 224] });
    const compileMs = performance.now() - t0;
    const kept = (memory().cpu.bytes - m0) / 2 ** 20;
    const x = Tensor.rand([b, 3, 224, 224], { seed: 1 });
    (await plan.run(x)).dispose();
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const s = performance.now();
      (await plan.run(x)).dispose();
      times.push(performance.now() - s);
    }
    times.sort((p, q) => p - q);
    const med = times[Math.floor(times.length / 2)];
    console.log(`| ${b} | ${compileMs.toFixed(0)} | ${kept.toFixed(1)} | ${med.toFixed(1)} | ${(med / b).toFixed(2)} |`);
    x.dispose(); plan.dispose();
  }
  net.dispose();
}
main();
