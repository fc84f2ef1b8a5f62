// Whole networks (alexnet, vgg16, googlenet, resnet50, densenet121) at batch 1 (or --batch N), 224×224: our eager forward
// and compile() plans side by side with PyTorch 1.13 (a subprocess:
// scripts/bench_torch_networks.py) and onnxruntime-node on the same weights, in the same run.
//   npm run bench:networks [-- --quick] [--threads N] [--nets resnet50,alexnet] [--omp-wait-policy passive] [--markdown FILE]
//     [--no-torch-timing]   (PyTorch still loads the weights and exports the ONNX files, but is left out of the rounds)
//     [--batch N]           (images per run; ONNX exported per batch size: bench/.cache/<net>.b<N>.onnx)
// Weights: our seeded random init, written once with io.saveSafetensors to bench/.cache/ and loaded from there
// by every engine (PyTorch loads the file; ONNX files are exported from that PyTorch model). Outputs are
// checked against PyTorch (relL2 ≤ 1e-4) before anything is timed: a benchmark of a wrong answer is worthless.
// Engines alternate within each round (order rotated per round); the table shows medians.
// PyTorch runs with OMP_WAIT_POLICY=ACTIVE, whose OpenMP workers spin even while idle, so the subprocess is
// SIGSTOPped whenever it is not its turn; otherwise it would burn the cores the other engines are timed on.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as ort from 'onnxruntime-node';
import { Tensor, compile, CompiledPlan, io, peakFlops, setNumThreads, getNumThreads, cpuInfo, summary } from '../lib';
import { CACHE, NETS, loadModel } from './nets';
import { ortSessionOptions, settle } from './fair-timing';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const quick = args.includes('--quick');
const threads = Number(opt('--threads') ?? 2) || 2;
// PyTorch's OpenMP wait policy: ACTIVE (spinning workers) is fastest on an idle machine, ruinous on a loaded one.
const ompWaitPolicy = (opt('--omp-wait-policy') ?? 'ACTIVE').toUpperCase();
const nets = (opt('--nets') ?? Object.keys(NETS).join(',')).split(',');
const batch = Number(opt('--batch') ?? 1);
if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got ${opt('--batch')}`);
const INPUT_SHAPE = [batch, 3, 224, 224];
const TOLERANCE = 1e-4;
// Seconds of timing rounds per network (all engines together), and the bounds on the number of rounds.
const BUDGET_MS = quick ? 6000 : 25000;
const MIN_ROUNDS = quick ? 3 : 7;
const MAX_ROUNDS = quick ? 5 : 31;

let torchVersion = '?';
const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function relL2(ours: Float32Array, ref: Float32Array): number {
  if (ours.length !== ref.length) return Infinity;
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) { num += (ours[i] - ref[i]) ** 2; den += ref[i] ** 2; }
  const e = Math.sqrt(num / Math.max(den, 1e-30));
  return Number.isNaN(e) ? Infinity : e;
}

/** The PyTorch subprocess: one JSON request per line, one reply per line; stopped between requests. */
class TorchPeer {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterableIterator<string>;

  constructor(logFile: string) {
    const log = fs.openSync(logFile, 'w');
    this.child = spawn('/usr/bin/python3', [path.join(__dirname, '..', 'scripts', 'bench_torch_networks.py'), CACHE, String(threads)], {
      env: { ...process.env, OMP_WAIT_POLICY: ompWaitPolicy, OMP_NUM_THREADS: String(threads) },
      stdio: ['pipe', 'pipe', log],
    });
    fs.closeSync(log);
    this.lines = readline.createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }

  async request(msg: Record<string, unknown>): Promise<Record<string, any>> {
    this.child.kill('SIGCONT');
    this.child.stdin!.write(`${JSON.stringify(msg)}\n`);
    const next = await this.lines.next();
    this.child.kill('SIGSTOP');
    if (next.done) throw new Error(`PyTorch subprocess exited (exit code ${this.child.exitCode}); see ${path.join(CACHE, 'torch.log')}`);
    const reply = JSON.parse(next.value);
    if (reply.error) throw new Error(`PyTorch: ${reply.error}\n${reply.trace ?? ''}`);
    return reply;
  }

  close(): void {
    this.child.kill('SIGCONT');
    this.child.stdin!.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
  }
}


interface Engine { name: string; run: () => Promise<void> | void; relL2: number; times: number[] }

async function main() {
  fs.mkdirSync(CACHE, { recursive: true });
  setNumThreads(threads);
  // Peak FLOP/s: the best of one measurement per network (and one at the end), as a busy machine lowers any one.
  const peaks = [peakFlops(threads)];
  const loadStart = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`convnets networks bench: batch ${batch}, 224², ${threads} threads, ISA ${cpuInfo().active}, PyTorch OMP_WAIT_POLICY=${ompWaitPolicy}; ${new Date().toISOString()}; ` +
    `load average ${loadStart}`);

  const x = Tensor.rand(INPUT_SHAPE, { seed: 7, low: -1, high: 1 });
  const xData = x.data();
  io.saveSafetensors(path.join(CACHE, 'input.safetensors'), { input: x });
  const torch = new TorchPeer(path.join(CACHE, 'torch.log'));
  const rows: Record<string, any>[] = [];
  try {
    for (const net of nets) {
      if (!NETS[net]) throw new Error(`unknown network '${net}' (one of ${Object.keys(NETS).join(', ')})`);
      if (rows.length) peaks.push(peakFlops(threads));
      const t0 = performance.now();
      const model = loadModel(net); // writes the weights file PyTorch reads on a first run
      const torchLoad = torch.request({ cmd: 'load', net, batch }); // PyTorch loads while we summarise and compile
      const flops = 2 * summary(model, INPUT_SHAPE).totalMacs;
      const loaded = await torchLoad;
      torchVersion = loaded.version;
      const refBytes = fs.readFileSync(path.join(CACHE, `${net}.torch.f32`)); // may be a view into Node's buffer pool
      const ref = new Float32Array(refBytes.buffer.slice(refBytes.byteOffset, refBytes.byteOffset + refBytes.length));
      const engines: Engine[] = [];
      const check = (t: Tensor) => { const e = relL2(t.data(), ref); t.dispose(); return e; };

      engines.push({ name: 'eager', run: () => model.forward(x).dispose(), relL2: check(model.forward(x)), times: [] });
      const plan: CompiledPlan = compile(model, { inputShape: INPUT_SHAPE });
      engines.push({ name: 'compiled', run: async () => (await plan.run(x)).dispose(), relL2: check(await plan.run(x)), times: [] });
      engines.push({ name: 'torch', run: async () => { await torch.request({ cmd: 'time', net, reps: 1 }); }, relL2: 0, times: [] });
      let session: ort.InferenceSession | null = null;
      if (loaded.onnx) {
        session = await ort.InferenceSession.create(loaded.onnx, ortSessionOptions(threads, args));
        const s = session;
        const feeds = { x: new ort.Tensor('float32', xData, INPUT_SHAPE) };
        const y = (await s.run(feeds)).y.data as Float32Array;
        engines.push({ name: 'ort', run: async () => { await s.run(feeds); }, relL2: relL2(y, ref), times: [] });
      } else {
        console.log(`${net}: torch.onnx.export failed, ORT skipped: ${loaded.onnxError}`);
      }
      const setupS = (performance.now() - t0) / 1e3;

      // Timing: only engines that agree with PyTorch. The torch sample is PyTorch's own clock (no IPC in it).
      const timed = engines.filter((e) => e.relL2 <= TOLERANCE && !(e.name === 'torch' && args.includes('--no-torch-timing')));
      for (const e of engines) if (e.relL2 > TOLERANCE) console.log(`${net}: ${e.name} MISMATCH relL2 ${e.relL2.toExponential(2)} vs PyTorch: not timed`);
      const sample = async (e: Engine) => {
        if (e.name === 'torch') {
          e.times.push(...(await torch.request({ cmd: 'time', net, reps: 1 })).ms);
        } else {
          const s = performance.now();
          await e.run();
          e.times.push(performance.now() - s);
        }
        // After every engine, PyTorch included: the engine after it in the cycle (always ORT) used to start
        // the moment PyTorch replied.
        await settle();
      };
      for (const e of timed) await sample(e); // warm-up round, discarded
      const roundMs = timed.reduce((a, e) => a + e.times[0], 0);
      for (const e of timed) e.times.length = 0;
      const rounds = Math.max(MIN_ROUNDS, Math.min(MAX_ROUNDS, Math.floor(BUDGET_MS / Math.max(roundMs, 1))));
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < timed.length; i++) await sample(timed[(i + r) % timed.length]);
      }

      const row: Record<string, any> = { net, gflop: flops / 1e9, rounds, setupS, engines: {} };
      for (const e of engines) {
        const ms = e.times.length ? median(e.times) : null;
        row.engines[e.name] = { ms, gflops: ms ? flops / ms / 1e6 : null, relL2: e.relL2, samples: e.times };
      }
      rows.push(row);
      const m = (n: string) => row.engines[n]?.ms as number | null | undefined;
      console.log(`${net.padEnd(12)} ${rounds} rounds, setup ${setupS.toFixed(1)} s: ` +
        engines.map((e) => `${e.name} ${m(e.name)?.toFixed(2) ?? '-'} ms`).join(', '));

      await torch.request({ cmd: 'free', net });
      await session?.release();
      plan.dispose();
      model.dispose();
    }
  } finally {
    torch.close();
  }
  x.dispose();

  peaks.push(peakFlops(threads));
  const peak = Math.max(...peaks);
  for (const row of rows) for (const e of Object.values(row.engines) as any[]) e.pctPeak = e.gflops ? 100 * e.gflops * 1e9 / peak : null;
  const table = markdownTable(rows, peak, peaks.length);
  console.log(`\n${table}`);
  const md = opt('--markdown');
  if (md) {
    const loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    fs.writeFileSync(md, `# Networks benchmark (batch ${batch}, 224², ${threads} threads)\n\n` +
      `- date: ${new Date().toISOString()}; ${os.cpus()[0]?.model ?? 'CPU'}, ISA ${cpuInfo().active}; load average at start ${loadStart}, at end ${loadEnd}\n` +
      `- command: \`npm run bench:networks -- ${args.join(' ')}\`\n` +
      `- PyTorch ${torchVersion} (subprocess, OMP_WAIT_POLICY=${ompWaitPolicy}, set_num_threads(${threads}), no_grad, eval); ` +
      `onnxruntime-node ${ortVersion()} (intraOpNumThreads ${threads}, ONNX from torch.onnx.export); same weights for all\n` +
      `- medians of alternated rounds; GFLOP/s = 2·MACs (summary()) / time\n\n${table}\n`);
    console.log(`wrote ${md}`);
  }

  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `networks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), loadavg: os.loadavg(), command: `tsx bench/networks.ts ${args.join(' ')}`.trim(),
    torch: torchVersion, ort: ortVersion(), cpu: os.cpus()[0]?.model, threads: getNumThreads(), ompWaitPolicy, isa: cpuInfo().active, peakFlops: peak, peakSamples: peaks, quick, tolerance: TOLERANCE, networks: rows }, null, 1));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

/** Markdown table: per engine median ms, GFLOP/s and % of peak; ratios peer/ours (> 1: ours is faster). */
function markdownTable(rows: Record<string, any>[], peak: number, samples: number): string {
  const ours = ['eager', 'compiled'];
  const all = [...ours, 'torch', 'ort'];
  const cell = (e: any) => (e?.ms ? `${e.ms.toFixed(1)} / ${e.gflops.toFixed(0)} / ${e.pctPeak.toFixed(0)}%` : '-');
  const ratio = (a: any, b: any) => (a?.ms && b?.ms ? `${(a.ms / b.ms).toFixed(2)}x` : '-');
  const best = (r: any) => ours.map((n) => r.engines[n]).filter((e) => e?.ms).sort((a, b) => a.ms - b.ms)[0];
  const head = ['network', 'GFLOP', ...all.map((n) => `${n} ms / GFLOP/s / %peak`), 'torch/ours', 'ort/ours', 'relL2 vs torch (' + [...ours, 'ort'].join(', ') + ')'];
  const lines = [`peak (FMA loop, ${threads} threads, best of ${samples}): ${(peak / 1e9).toFixed(0)} GFLOP/s; "ours" = the faster of ${ours.join('/')}; ratios > 1: ours is faster`, '',
    `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const b = best(r);
    const errs = [...ours, 'ort'].map((n) => (r.engines[n] ? r.engines[n].relL2.toExponential(1) : '-')).join(', ');
    lines.push(`| ${r.net} | ${r.gflop.toFixed(2)} | ${all.map((n) => cell(r.engines[n])).join(' | ')} | ` +
      `${ratio(r.engines.torch, b)} | ${ratio(r.engines.ort, b)} | ${errs} |`);
  }
  return lines.join('\n');
}

function ortVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
