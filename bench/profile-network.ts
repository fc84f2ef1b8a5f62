// Where a network's time goes, ours against onnxruntime-node's: our compiled plan's per-step times
// (CompiledPlan.profile) and ORT's own profiler (per-node kernel times), both summed by op kind.
// Needs the ONNX export that `npm run bench:networks` caches in bench/.cache (run that once first).
//   npx tsx bench/profile-network.ts [--net resnet50] [--threads 2] [--runs 15] [--top 12] [--batch N]
// (--batch N needs `npm run bench:networks -- --batch N --nets <net>` once, for bench/.cache/<net>.b<N>.onnx)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tensor, compile, setNumThreads } from '../lib';
import { CACHE, loadModel } from './nets';
import { ortSessionOptions } from './fair-timing';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const net = opt('--net') ?? 'resnet50';
const threads = Number(opt('--threads') ?? 2);
const runs = Number(opt('--runs') ?? 15);
const top = Number(opt('--top') ?? 12);
setNumThreads(threads);


// Our op names after lowering ('conv2d+batchNorm+relu') and ORT's node types ('Conv', 'FusedConv') in one vocabulary.
const kindOf = (op: string) => {
  const o = op.toLowerCase();
  if (o.includes('conv')) return 'conv'; // also 'batchNorm+relu+conv2d' (a BN fused into the conv's input)
  if (o.includes('pool')) return 'pool';
  if (o.startsWith('cat') || o.startsWith('concat')) return 'concat';
  if (o.startsWith('add') || o.startsWith('sum')) return 'add';
  if (o.startsWith('batchnorm') || o.startsWith('batchnormalization')) return 'batchnorm';
  if (o.startsWith('relu')) return 'relu';
  if (o.startsWith('linear') || o.startsWith('gemm') || o.startsWith('matmul')) return 'linear';
  if (o.startsWith('reorder')) return 'layout (NCHWc reorder)';
  return o.split('+')[0];
};

async function main() {
  const batch = Number(opt('--batch') ?? 1);
  const onnxFile = path.join(CACHE, batch === 1 ? `${net}.onnx` : `${net}.b${batch}.onnx`);
  if (!fs.existsSync(onnxFile)) {
    throw new Error(`${onnxFile} is missing: run \`npm run bench:networks -- --nets ${net}${batch === 1 ? '' : ` --batch ${batch}`}\` once first`);
  }
  const model = loadModel(net);
  const shape = [batch, 3, 224, 224];
  const x = Tensor.rand(shape, { seed: 7, low: -1, high: 1 });
  const plan = compile(model, { inputShape: shape });
  plan.runSync(x).dispose();
  const ours = plan.profile(x, runs);

  const prefix = path.join(os.tmpdir(), `convnets-ort-profile-${process.pid}`);
  const session = await ort.InferenceSession.create(onnxFile, { ...ortSessionOptions(threads, args), enableProfiling: true, profileFilePrefix: prefix });
  const feeds = { x: new ort.Tensor('float32', x.data(), shape) };
  for (let r = 0; r < runs + 1; r++) await session.run(feeds);
  const profileFile = (session as unknown as { endProfiling(): string }).endProfiling?.() ?? '';
  await session.release();
  const found = profileFile && fs.existsSync(profileFile) ? profileFile
    : fs.readdirSync(os.tmpdir()).map((f) => path.join(os.tmpdir(), f)).find((f) => f.startsWith(prefix));
  if (!found) throw new Error('ORT wrote no profile file');
  const events = JSON.parse(fs.readFileSync(found, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  fs.unlinkSync(found);
  // Node events: '<node>_kernel_time', dur in µs, one per node per run; the first run is a warm-up.
  const perNode = new Map<string, { op: string; durs: number[] }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const k = perNode.get(e.name) ?? { op: e.args?.op_name ?? e.name, durs: [] };
    k.durs.push(e.dur / 1000);
    perNode.set(e.name, k);
  }
  const med = (v: number[]) => { const s = [...v.slice(1)].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? v[0]; };
  const theirs = [...perNode.entries()].map(([name, v]) => ({ name, op: v.op, ms: med(v.durs) }));

  const byKind = (rows: { op: string; ms: number }[]) => {
    const m = new Map<string, { ms: number; n: number }>();
    for (const r of rows) { const k = kindOf(r.op); const e = m.get(k) ?? { ms: 0, n: 0 }; e.ms += r.ms; e.n++; m.set(k, e); }
    return m;
  };
  const a = byKind(ours), b = byKind(theirs);
  const total = (m: Map<string, { ms: number }>) => [...m.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`${net}, batch ${batch}, ${threads} threads: sum of per-step medians (ms), ours (compiled plan) vs onnxruntime-node's profiler`);
  console.log(`${'kind'.padEnd(24)} ${'ours ms'.padStart(9)} ${'steps'.padStart(6)} ${'ORT ms'.padStart(9)} ${'nodes'.padStart(6)}`);
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x1 = a.get(k), y1 = b.get(k);
    console.log(`${k.padEnd(24)} ${(x1?.ms ?? 0).toFixed(3).padStart(9)} ${String(x1?.n ?? 0).padStart(6)} ${(y1?.ms ?? 0).toFixed(3).padStart(9)} ${String(y1?.n ?? 0).padStart(6)}`);
  }
  console.log(`${'total'.padEnd(24)} ${total(a).toFixed(3).padStart(9)} ${String(ours.length).padStart(6)} ${total(b).toFixed(3).padStart(9)} ${String(theirs.length).padStart(6)}`);
  console.log(`\nour ${top} slowest steps:`);
  for (const [i, s] of ours.map((s, i) => [i, s] as const).sort((p, q) => q[1].ms - p[1].ms).slice(0, top)) console.log(`  #${i} ${s.op.padEnd(28)} ${s.ms.toFixed(3)} ms`);
  console.log(`ORT's ${top} slowest nodes:`);
  for (const s of [...theirs].sort((p, q) => q.ms - p.ms).slice(0, top)) console.log(`  ${s.name.replace('_kernel_time', '').padEnd(40)} ${s.op.padEnd(14)} ${s.ms.toFixed(3)} ms`);
  // Convolutions side by side, in execution order (both run the network's convs in the same order).
  const oc = ours.filter((s) => kindOf(s.op) === 'conv'), tc = theirs.filter((s) => kindOf(s.op) === 'conv');
  if (args.includes('--order')) {
    for (let i = 0; i < Math.max(oc.length, tc.length); i++) {
      console.log(`  ${String(i).padStart(2)} ours ${(oc[i]?.op ?? '').padEnd(24)} ${oc[i]?.ms.toFixed(3) ?? ''}   ORT ${(tc[i]?.name ?? '').replace('_kernel_time', '').padEnd(56)} ${tc[i]?.ms.toFixed(3) ?? ''}`);
    }
  }
  if (oc.length === tc.length) {
    console.log(`\nconvolutions in order where ours is slowest against ORT (ours ms / ORT ms):`);
    const pairs = oc.map((s, i) => ({ i, ours: s.ms, ort: tc[i].ms, name: tc[i].name.replace('_kernel_time', '') }));
    for (const p of [...pairs].sort((a1, b1) => b1.ours - b1.ort - (a1.ours - a1.ort)).slice(0, top)) {
      console.log(`  conv ${String(p.i).padStart(2)} ${p.name.padEnd(52)} ${p.ours.toFixed(3)} / ${p.ort.toFixed(3)} = ${(p.ours / p.ort).toFixed(2)}x`);
    }
  }
  plan.dispose();
  model.dispose();
  x.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
