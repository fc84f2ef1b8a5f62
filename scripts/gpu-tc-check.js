#!/usr/bin/env node
// Tensor cores and CUDA graphs on a GPU machine without jest (the device box has no node_modules to spare):
// runs over the built package (dist/ + build/Release/convnets.node). Three parts, each bounded:
//   1. correctness: implicit_gemm_tc, linear and matmul at tf32/bf16/fp16 on awkward shapes against the CPU
//      (bounds tf32 5e-3, bf16 2e-2, fp16 5e-3; and a floor proving the tensor cores ran), compiled plans at each
//      precision, a CUDA graph bit-equal to the uncaptured plan, no device tensor leaked;
//   2. the five networks at batch 1 and 32 (224²): agreement of each precision with our fp32 (top-1 equal and
//      top-5 overlap over random inputs) and timings (median of 20 synchronised runs, graphs on) → JSON;
//   3. nothing else: PyTorch is timed by scripts/gpu_torch_precision.py in the same run (gpu-tc-check.sh).
// Usage: node scripts/gpu-tc-check.js OUT_JSON [--quick]
'use strict';
const path = require('path');
const fs = require('fs');
const root = path.join(__dirname, '..');
const cn = require(path.join(root, 'dist'));
const { F, Tensor, compile, memory, models } = cn;

const out = { device: null, checks: [], networks: [], failures: 0 };
const TOL = { tf32: 5e-3, bf16: 2e-2, fp16: 5e-3 };
const PRECS = ['tf32', 'bf16', 'fp16'];
const dev = 'cuda:0';

function relErr(a, b) {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i])) return NaN;
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / (den || 1));
}
function record(name, ok, detail) {
  out.checks.push({ name, ok, detail });
  if (!ok) out.failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${detail}`);
}
function guard(name, fn) {
  try {
    fn();
  } catch (e) {
    record(name, false, `threw: ${e && e.message}`);
  }
}
const rnd = (shape, seed, scale = 1) => Tensor.rand(shape, { seed, low: -scale, high: scale });
function within(name, got, ref, prec, floor = true) {
  const e = relErr(got.data(), ref.data());
  record(name, e <= TOL[prec] && (!floor || e >= 1e-6), `relerr ${e.toExponential(3)} (bound ${TOL[prec]})`);
}

async function correctness() {
  const shapes = [
    ['N3 C5 9x11 K7 3x3 p1', [3, 5, 9, 11], [7, 5, 3, 3], { padding: 1 }],
    ['N2 C33 15x17 K70 3x3 same', [2, 33, 15, 17], [70, 33, 3, 3], { padding: 'same' }],
    ['N2 C6 13x7 K9 5x3 s[2,3] p[2,1] d[1,2] g3', [2, 6, 13, 7], [9, 2, 5, 3], { stride: [2, 3], padding: [2, 1], dilation: [1, 2], groups: 3 }],
    ['N3 C17 10x13 K19 1x1 s2', [3, 17, 10, 13], [19, 17, 1, 1], { stride: 2 }],
    ['N1 C512 7x7 K512 3x3 p1 (k split)', [1, 512, 7, 7], [512, 512, 3, 3], { padding: 1 }],
    ['N4 C64 56x56 K64 3x3 p1 (128x128 tiles)', [4, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }],
    ['N2 C3 67x61 K64 11x11 s4 p2 (stem)', [2, 3, 67, 61], [64, 3, 11, 11], { stride: 4, padding: 2 }],
  ];
  let seed = 500;
  const base = memory().cuda[0] ? memory().cuda[0].tensors : 0;
  for (const [label, xs, ws, opts] of shapes) {
    const x = rnd(xs, seed++), w = rnd(ws, seed++, 0.5), b = rnd([ws[0]], seed++);
    const ref = F.conv2d(x, w, b, { ...opts, activation: 'relu' });
    const xd = x.to(dev), wd = w.to(dev), bd = b.to(dev);
    for (const prec of PRECS) {
      guard(`conv ${prec} ${label}`, () => {
        const got = F.conv2d(xd, wd, bd, { ...opts, activation: 'relu', algo: 'implicit_gemm_tc', precision: prec });
        within(`conv ${prec} ${label}`, got, ref, prec);
        got.dispose();
      });
    }
    for (const t of [xd, wd, bd]) t.dispose();
  }
  for (const prec of PRECS) {
    guard(`linear ${prec}`, () => {
      for (const [n, i, o] of [[3, 9216, 4096], [5, 70, 33], [32, 4096, 1000]]) {
        const x = rnd([n, i], 1), w = rnd([o, i], 2, 0.05), b = rnd([o], 3);
        const ref = F.linear(x, w, b, { activation: 'relu' });
        const [xd, wd, bd] = [x, w, b].map((t) => t.to(dev));
        const got = F.linear(xd, wd, bd, { activation: 'relu', precision: prec });
        within(`linear ${prec} ${n}x${i}->${o}`, got, ref, prec);
        for (const t of [xd, wd, bd, got]) t.dispose();
      }
      for (const [as, bs] of [[[33, 47], [47, 65]], [[2, 17, 40], [2, 40, 9]]]) {
        const a = rnd(as, 4), bm = rnd(bs, 5);
        const [ad, bd] = [a, bm].map((t) => t.to(dev));
        const got = F.matmul(ad, bd, { precision: prec });
        within(`matmul ${prec} ${as}x${bs}`, got, F.matmul(a, bm), prec);
        for (const t of [ad, bd, got]) t.dispose();
      }
    });
  }
  if (global.gc) global.gc();
  const after = memory().cuda[0] ? memory().cuda[0].tensors : 0;
  record('no device tensor leaked by the op checks', after === base, `live device tensors ${base} -> ${after}`);
  if (process.argv.includes('--ops-only')) return;
  // CUDA graphs: bit-equal to the uncaptured plan, three different inputs.
  const m = models.resnet18().eval();
  m.to(dev);
  const g = compile(m, { inputShape: [2, 3, 64, 64], device: dev });
  const p = compile(m, { inputShape: [2, 3, 64, 64], device: dev, cudaGraph: false });
  let equal = true;
  for (const s of [1, 2, 3]) {
    const x = rnd([2, 3, 64, 64], s).to(dev);
    const a = await g.run(x), b = p.runSync(x);
    const da = a.data(), db = b.data();
    for (let i = 0; i < da.length; i++) if (!(da[i] === db[i])) { equal = false; break; }
  }
  record('cuda graph replay bit-equal to the step-by-step plan, 3 inputs', equal && g.cudaGraph === 'captured', `status ${g.cudaGraph}`);
  for (const prec of PRECS) {
    const x = rnd([2, 3, 64, 64], 9);
    const ref = p.runSync(x.to(dev));
    const q = compile(m, { inputShape: [2, 3, 64, 64], device: dev, precision: prec });
    const got = await q.run(x.to(dev));
    within(`compiled resnet18 ${prec} vs fp32`, got, ref, prec, false);
    record(`compiled ${prec} plan captured`, q.cudaGraph === 'captured', q.cudaGraph);
    q.dispose();
  }
  g.dispose();
  p.dispose();
}

// Per layer: every CUDA algorithm timed by findConvAlgorithm at bf16 (the tensor cores against the fp32
// algorithms, same layer, same events), for the layers that dominate the five networks.
function layerTimings() {
  const layers = [
    ['resnet50 1x1 256->64 56²', [64, 256, 1, 1], 56, 1, 0], ['resnet50 3x3 64 56²', [64, 64, 3, 3], 56, 1, 1],
    ['resnet50 1x1 64->256 56²', [256, 64, 1, 1], 56, 1, 0], ['resnet50 3x3 256 14²', [256, 256, 3, 3], 14, 1, 1],
    ['resnet50 1x1 1024->256 14²', [256, 1024, 1, 1], 14, 1, 0], ['resnet50 3x3 512 7²', [512, 512, 3, 3], 7, 1, 1],
    ['resnet50 stem 7x7/2', [64, 3, 7, 7], 224, 2, 3], ['vgg16 3x3 64 224²', [64, 64, 3, 3], 224, 1, 1],
    ['vgg16 3x3 256 56²', [256, 256, 3, 3], 56, 1, 1], ['vgg16 3x3 512 28²', [512, 512, 3, 3], 28, 1, 1],
    ['alexnet 5x5 64->192 27²', [192, 64, 5, 5], 27, 1, 2], ['densenet 1x1 512->128 28²', [128, 512, 1, 1], 28, 1, 0],
  ];
  const rows = [];
  for (const batch of [1, 32]) {
    for (const [label, w, hw, stride, pad] of layers) {
      try {
        const t = cn.findConvAlgorithm({ input: [batch, w[1], hw, hw], weight: w, stride, padding: pad, precision: 'bf16' },
          { device: dev });
        const row = { layer: label, batch, ms: Object.fromEntries(t.map((r) => [r.algo, +r.timeMs.toFixed(4)])) };
        console.log(JSON.stringify(row));
        rows.push(row);
      } catch (e) {
        rows.push({ layer: label, batch, error: e.message });
      }
    }
  }
  return rows;
}

function topk(row, k) {
  return Array.from(row.keys()).sort((i, j) => row[j] - row[i]).slice(0, k);
}
const logits = (o) => (o instanceof Tensor ? o : o.logits);

async function networks(quick) {
  const nets = ['alexnet', 'vgg16', 'googlenet', 'resnet50', 'densenet121'];
  for (const net of nets) {
   try {
    const m = models[net]().eval();
    m.to(dev);
    for (const batch of quick ? [1] : [1, 32]) {
      const shape = [batch, 3, 224, 224];
      const row = { net, batch, ms: {}, agreement: {} };
      const plans = {};
      for (const prec of ['fp32', ...PRECS]) {
        try {
          plans[prec] = compile(m, { inputShape: shape, device: dev, precision: prec });
        } catch (e) {
          row.ms[prec] = `compile failed: ${e.message}`;
        }
      }
      // Agreement with fp32 on random inputs (batch 32: 7 batches = 224 inputs; batch 1: 50 inputs).
      const rounds = batch === 1 ? 50 : 7;
      for (const prec of PRECS) {
        if (!plans[prec] || !plans.fp32) continue;
        let top1 = 0, top5 = 0, n = 0;
        for (let r = 0; r < rounds; r++) {
          const x = Tensor.randn(shape, { seed: 1000 + r }).to(dev);
          const a = (await plans.fp32.run(x)).data(), b = (await plans[prec].run(x)).data();
          const C = a.length / batch;
          for (let i = 0; i < batch; i++) {
            const ra = a.subarray(i * C, (i + 1) * C), rb = b.subarray(i * C, (i + 1) * C);
            const ta = topk(ra, 5), tb = topk(rb, 5);
            top1 += ta[0] === tb[0] ? 1 : 0;
            top5 += ta.filter((c) => tb.includes(c)).length;
            n++;
          }
          x.dispose();
        }
        row.agreement[prec] = { inputs: n, top1: top1 / n, top5Overlap: top5 / n };
      }
      // Where the time goes (steps run one by one, synchronised): the slowest steps of the bf16 and fp32 plans.
      if (net === 'resnet50' || net === 'alexnet') {
        for (const prec of ['fp32', 'bf16']) {
          if (!plans[prec]) continue;
          const x = Tensor.randn(shape, { seed: 2 }).to(dev);
          const prof = plans[prec].profile(x, 3);
          const total = prof.reduce((a, r) => a + r.ms, 0);
          row[`profile_${prec}`] = { totalMs: total, top: prof.map((r, i) => ({ i, ...r })).sort((a, b) => b.ms - a.ms).slice(0, 8) };
          x.dispose();
        }
      }
      for (const prec of ['fp32', ...PRECS]) {
        const plan = plans[prec];
        if (!plan) continue;
        const x = Tensor.randn(shape, { seed: 1 }).to(dev);
        for (let i = 0; i < 3; i++) (await plan.run(x)).dispose();
        const t = [];
        for (let i = 0; i < 20; i++) {
          const t0 = process.hrtime.bigint();
          const y = plan.runSync(x);
          t.push(Number(process.hrtime.bigint() - t0) / 1e6);
          y.dispose();
        }
        t.sort((a, b) => a - b);
        row.ms[prec] = t[10];
        row[`graph_${prec}`] = plan.cudaGraph;
        x.dispose();
        plan.dispose();
      }
      console.log(JSON.stringify(row));
      out.networks.push(row);
    }
    m.dispose && m.dispose();
   } catch (e) {
    record(`network ${net}`, false, `threw: ${e && e.message}`);
   }
  }
}

(async () => {
  const info = cn.cuda.deviceInfo(0);
  out.device = `${info.name} (compute capability ${info.computeCapability}, ${info.multiProcessors} SMs)`;
  console.log(out.device);
  await correctness();
  fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 1));
  if (!process.argv.includes('--no-bench') && !process.argv.includes('--ops-only')) {
    out.layers = layerTimings();
    fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 1));
    await networks(process.argv.includes('--quick'));
  }
  fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 1));
  console.log(`${out.checks.length - out.failures} passed, ${out.failures} failed`);
  process.exit(out.failures ? 1 : 0);
})().catch((e) => {
  console.error(e);
  fs.writeFileSync(process.argv[2], JSON.stringify({ ...out, error: String(e && e.stack) }, null, 1));
  process.exit(2);
});
