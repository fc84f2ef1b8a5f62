// On a GPU machine: the release binary from the npm tarball (prebuilds/linux-x64, as packed) loads, sees the
// GPU, and its kernels agree with the CPU. Needs dist/ and node_modules/node-gyp-build beside it; no compiler.
// Prints one JSON line per check; exits 1 when one fails. Usage: node scripts/gpu-pack-check.js
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const root = path.join(__dirname, '..');
const where = require('node-gyp-build').path(root);
const c = require(path.join(root, 'dist'));
const { Tensor, F, cuda, models, compile } = c;
let failed = 0;
const report = (name, ok, extra = {}) => {
  if (!ok) failed++;
  console.log(JSON.stringify({ check: name, ok, ...extra }));
};
const relErr = (a, b) => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num / den);
};

report('loads the prebuild', where.includes(path.join('prebuilds', 'linux-x64')), { where: path.relative(root, where) });
report('cuda available', cuda.isAvailable(), { reason: cuda.unavailableReason(), devices: cuda.deviceCount(),
  info: cuda.isAvailable() ? cuda.deviceInfo(0) : null });
const hidden = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(path.join(root, 'dist'))}).cuda.unavailableReason())`],
  { env: { ...process.env, CUDA_VISIBLE_DEVICES: '' }, encoding: 'utf8' });
report('no visible device reason', hidden.stdout.trim() === "no CUDA device found (CUDA_VISIBLE_DEVICES='' hides the others)",
  { reason: hidden.stdout.trim(), stderr: hidden.stderr.trim() });
if (cuda.isAvailable()) {
  const x = Tensor.rand([2, 16, 23, 19], { seed: 1, low: -1, high: 1 });
  const w = Tensor.rand([24, 16, 3, 3], { seed: 2, low: -0.2, high: 0.2 });
  const b = Tensor.rand([24], { seed: 3 });
  const ref = F.conv2d(x, w, b, { padding: 1, activation: 'relu', algo: 'direct' }).data();
  const xg = x.to('cuda'), wg = w.to('cuda'), bg = b.to('cuda');
  for (const algo of ['direct', 'im2col', 'implicit_gemm', 'winograd_2x2_3x3', 'winograd_4x4_3x3', 'auto']) {
    const y = F.conv2d(xg, wg, bg, { padding: 1, activation: 'relu', algo }).data();
    const e = relErr(y, ref);
    report(`conv2d ${algo} on cuda vs cpu`, e < 5e-4, { relErr: e });
  }
  const logits = Tensor.rand([4, 1000], { seed: 5 });
  const lg = logits.to('cuda');
  const top = F.topk(lg, 5, { dim: 1 });
  const topCpu = F.topk(logits, 5, { dim: 1 });
  report('topk on cuda (host round trip)', top.values.device.startsWith('cuda') &&
    Array.from(top.indices.data()).join() === Array.from(topCpu.indices.data()).join(), { device: top.values.device });
  report('argmax on cuda', Array.from(F.argmax(lg, 1).data()).join() === Array.from(F.argmax(logits, 1).data()).join());
  (async () => {
    const net = models.resnet18({ numClasses: 10 }).eval();
    const input = Tensor.rand([1, 3, 64, 64], { seed: 7 });
    const want = net.forward(input).data();
    net.to('cuda');
    const t0 = performance.now();
    const plan = compile(net, { inputShape: [1, 3, 64, 64], device: 'cuda', warmup: true });
    const compileMs = performance.now() - t0;
    const g = input.to('cuda');
    const t1 = performance.now();
    const got = (await plan.run(g)).data();
    const runMs = performance.now() - t1;
    const e = relErr(got, want);
    report('resnet18 compiled on cuda vs eager cpu', e < 1e-3, { relErr: e, compileWarmupMs: Math.round(compileMs), firstRunMs: +runMs.toFixed(2) });
    process.exitCode = failed ? 1 : 0;
  })().catch((e) => { report('resnet18 on cuda', false, { error: String(e) }); process.exitCode = 1; });
} else {
  process.exitCode = 1;
}
