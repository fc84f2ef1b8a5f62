// bench:networks at every thread count and batch size, one table each, into one results file: the
// many-core mode of issue 16. Each (threads, batch) is its own bench/networks.ts process, so each engine's
// thread pool is created at that size (an idle pool of another size never sits on the cores), and within a
// process the engines alternate as networks.ts does (each alone on the cores while it runs).
//   npm run bench:networks:sweep [-- --threads 1,2,4,8,16] [--batches 1,32] [--out bench/RESULTS-networks-sweep.md]
//     [any bench:networks option: --quick, --nets resnet50,googlenet, --no-torch-timing, ...]
// Default threads: 1, 2, then every power of two below the machine's core count, and the core count (≤ 64).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const args = process.argv.slice(2);
const take = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const list = (s: string, what: string) =>
  s.split(',').map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`${what}: expected integers from 1 to 64, got '${v}'`);
    return n;
  });

export function defaultThreadCounts(cores: number): number[] {
  const max = Math.min(64, Math.max(1, cores));
  const counts = new Set<number>([1, Math.min(2, max)]);
  for (let t = 4; t < max; t *= 2) counts.add(t);
  counts.add(max);
  return [...counts].sort((a, b) => a - b);
}

function main() {
  const threads = list(take('--threads') ?? defaultThreadCounts(os.cpus().length).join(','), '--threads');
  const batches = list(take('--batches') ?? '1,32', '--batches');
  const out = take('--out') ?? path.join(__dirname, 'RESULTS-networks-sweep.md');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-sweep-'));
  const sections: string[] = [];
  for (const batch of batches) {
    for (const t of threads) {
      const md = path.join(tmp, `t${t}-b${batch}.md`);
      const cmd = ['tsx', path.join(__dirname, 'networks.ts'), '--threads', String(t), '--batch', String(batch), '--markdown', md, ...args];
      console.log(`\n== ${t} threads, batch ${batch}: npx ${cmd.join(' ')}`);
      const r = spawnSync('npx', cmd, { stdio: 'inherit', env: { ...process.env, CONVNETS_NUM_THREADS: String(t) } });
      if (r.status !== 0) throw new Error(`bench/networks.ts failed at ${t} threads, batch ${batch} (exit ${r.status})`);
      sections.push(fs.readFileSync(md, 'utf8').replace(/^# /, '## '));
    }
  }
  fs.writeFileSync(out, `# Networks at every thread count (${os.cpus()[0]?.model ?? 'CPU'}, ${os.cpus().length} cores)\n\n` +
    `Made by \`npm run bench:networks:sweep\` on ${new Date().toISOString().slice(0, 10)}: one bench/networks.ts process per ` +
    `(threads, batch).\n\n${sections.join('\n')}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`wrote ${out}`);
}

if (require.main === module) main();
