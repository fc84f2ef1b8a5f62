// The short table of scripts/gpu-check.sh's conv benchmark: per network and batch, the sum over its conv
// layers of ours ('auto', and the best algorithm per layer) and of PyTorch + cuDNN; the five networks
// whole; and the layers where 'auto' is ≥ 25% slower than the best algorithm (to tune its rules).
//   tsx bench/gpu-conv-table.ts OUT/bench-conv-convnets.json OUT/bench-conv-torch.json
import * as fs from 'node:fs';

interface Row { name: string; net: string; uses?: string[]; batch: number; algo: string; chosen?: string; ms: number | null }
interface Ours { device: string; results: Row[]; networks?: Row[]; compiled?: Row[] }
interface Torch { library: string; results: { name: string; ms: number }[]; networks?: { name: string; ms: number }[] }

const read = <T>(f: string): T | null => { try { return JSON.parse(fs.readFileSync(f, 'utf8')) as T; } catch { return null; } };
const ours = read<Ours>(process.argv[2]);
const torch = read<Torch>(process.argv[3]);
if (!ours) {
  console.log('no convnets conv results');
  process.exit(0);
}
const tms = new Map((torch ? torch.results : []).map((r) => [r.name, r.ms]));
const f = (v: number | null | undefined) => (v == null ? '-' : v.toFixed(2));
const usesOf = (r: Row) => r.uses ?? [`${r.net}.`];
// A shape used n times in a network counts n times (bench/layers.ts lists the repeated VGG16 shapes once).
const rows = [['net (conv layers)', 'N', 'auto ms', 'best-algo ms', 'cudnn ms', 'cudnn/auto']];
const nets = [...new Set(ours.results.flatMap((r) => usesOf(r).map((u) => u.split('.')[0])))];
for (const batch of [1, 32]) {
  for (const net of nets) {
    const rs = ours.results.filter((r) => r.batch === batch);
    let auto = 0, best = 0, cud = 0, haveT = true;
    for (const n of [...new Set(rs.map((r) => r.name))]) {
      const mine = rs.filter((r) => r.name === n);
      const cnt = usesOf(mine[0]).filter((u) => u.startsWith(`${net}.`)).length;
      if (!cnt) continue;
      const a = mine.find((r) => r.algo === 'auto');
      auto += cnt * (a && a.ms != null ? a.ms : NaN);
      best += cnt * Math.min(...mine.filter((r) => r.ms != null).map((r) => r.ms as number));
      const t = tms.get(n);
      if (t !== undefined) cud += cnt * t; else haveT = false;
    }
    rows.push([net, String(batch), f(auto), f(best), haveT ? f(cud) : '-', haveT ? (cud / auto).toFixed(2) : '-']);
  }
}
const tn = new Map((torch?.networks ?? []).map((r) => [r.name, r.ms]));
for (const r of ours.networks ?? []) {
  const t = tn.get(r.name);
  rows.push([`${r.name} (whole)`, String(r.batch), r.ms == null ? 'error' : f(r.ms), '', f(t), t !== undefined && r.ms ? (t / r.ms).toFixed(2) : '-']);
}
// Compiled plans (BN folded, ReLU fused) against the same PyTorch eager network.
for (const r of ours.compiled ?? []) {
  const t = tn.get(r.name.replace(/ compiled$/, ''));
  rows.push([`${r.name}`, String(r.batch), r.ms == null ? 'error' : f(r.ms), '', f(t), t !== undefined && r.ms ? (t / r.ms).toFixed(2) : '-']);
}
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`${ours.device}; ${torch ? torch.library : 'no torch'} (cudnn/auto > 1: convnets faster)`);
for (const r of rows) console.log(r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  '));
const lost: string[] = [];
for (const n of [...new Set(ours.results.map((r) => r.name))]) {
  const rs = ours.results.filter((r) => r.name === n && r.ms != null);
  const a = rs.find((r) => r.algo === 'auto');
  const b = rs.filter((r) => r.algo !== 'auto').sort((p, q) => (p.ms as number) - (q.ms as number))[0];
  if (a && b && (b.ms as number) < 0.8 * (a.ms as number)) lost.push(`${n}: auto=${a.chosen} ${f(a.ms)} ms, ${b.algo} ${f(b.ms)} ms`);
}
console.log(`auto ≥ 25% slower than the best algorithm on ${lost.length} layers:`);
for (const l of lost.slice(0, 15)) console.log(`  ${l}`);
