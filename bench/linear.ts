// F.linear against onnxruntime-node's Gemm (transB = 1, W and B as initializers, so ORT may prepack W once
// at session creation, which our eager op cannot) on the classifier layers of the five networks at batch
// 1, 8 and 32: median times alternating the two in one process, GFLOP/s and % of the FMA peak measured in
// the same run. Both results are checked against each other once before timing.
//   npm run bench:linear [-- --threads 2] [--batches 1,8,32] [--json FILE]
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { F, Tensor, setNumThreads, peakFlops, cpuInfo } from '../lib';
import { onnxLinearModel } from './onnx-conv';
import { ortSessionOptions, settle } from './fair-timing';
import { median, relativeL2 } from './stats';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const threads = Number(opt('--threads') ?? 2);
const batches = (opt('--batches') ?? '1,8,32').split(',').map(Number);
setNumThreads(threads);

// [name, in, out, relu]: AlexNet and VGG16 fc6/fc7/fc8, GoogLeNet / DenseNet-121 / ResNet-50 classifiers.
const LAYERS: [string, number, number, boolean][] = [
  ['alexnet.fc6', 9216, 4096, true], ['vgg16.fc6', 25088, 4096, true], ['fc7 (both)', 4096, 4096, true],
  ['fc8 (both)', 4096, 1000, false], ['googlenet/densenet.fc', 1024, 1000, false], ['resnet50.fc', 2048, 1000, false],
];


async function main() {
  const peak = peakFlops(threads);
  console.log(`F.linear vs onnxruntime-node Gemm(transB=1), ${threads} threads, ISA ${cpuInfo().active}, FMA peak ${(peak / 1e9).toFixed(0)} GFLOP/s; ${new Date().toISOString()}`);
  console.log('layer                    batch    in → out      ours ms   GF/s  %peak |  ORT ms   GF/s | ORT/ours');
  const rows: object[] = [];
  for (const [name, inF, outF, relu] of LAYERS) {
    const w = Tensor.rand([outF, inF], { seed: 2, low: -0.02, high: 0.02 });
    const b = Tensor.rand([outF], { seed: 3, low: -0.1, high: 0.1 });
    for (const n of batches) {
      const x = Tensor.rand([n, inF], { seed: 1, low: -1, high: 1 });
      const s = await ort.InferenceSession.create(onnxLinearModel(n, inF, outF, w.data(), b.data(), relu), ortSessionOptions(threads, args));
      const feeds = { X: new ort.Tensor('float32', x.data(), [n, inF]) };
      const opts = relu ? { activation: 'relu' as const } : {};
      const ours = F.linear(x, w, b, opts);
      const theirs = (await s.run(feeds)).Y.data as Float32Array;
      const relDiff = relativeL2(ours.data(), theirs);
      ours.dispose();
      if (!(relDiff <= 1e-4)) throw new Error(`${name} batch ${n}: ours and ORT differ (relative L2 ${relDiff})`);
      const to: number[] = [], tr: number[] = [];
      const reps = Math.max(7, Math.min(31, Math.ceil(400 / (2 * n * inF * outF / 1e8))));
      for (let r = 0; r < reps; r++) {
        let t0 = performance.now();
        F.linear(x, w, b, opts).dispose();
        to.push(performance.now() - t0);
        await settle();
        t0 = performance.now();
        await s.run(feeds);
        tr.push(performance.now() - t0);
        await settle();
      }
      await s.release();
      x.dispose();
      const flops = 2 * n * inF * outF, mo = median(to), mr = median(tr);
      const gf = (ms: number) => flops / ms / 1e6;
      console.log(`${name.padEnd(24)} ${String(n).padStart(5)} ${`${inF} → ${outF}`.padStart(13)} ${mo.toFixed(3).padStart(9)} ${gf(mo).toFixed(0).padStart(6)} ${(100 * gf(mo) * 1e9 / peak).toFixed(0).padStart(5)}% | ${mr.toFixed(3).padStart(7)} ${gf(mr).toFixed(0).padStart(6)} | ${(mr / mo).toFixed(2).padStart(6)}x`);
      rows.push({ layer: name, batch: n, in: inF, out: outF, oursMs: mo, ortMs: mr, oursGflops: gf(mo), pctPeak: 100 * gf(mo) * 1e9 / peak, ortOverOurs: mr / mo, relDiff, reps });
    }
    w.dispose();
    b.dispose();
  }
  const json = opt('--json');
  if (json) fs.writeFileSync(json, JSON.stringify({ threads, isa: cpuInfo().active, peakFlops: peak, rows }, null, 1));
}

main().catch((e) => { console.error(e); process.exit(1); });
