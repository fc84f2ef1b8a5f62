#!/usr/bin/env node
// convnets command line: summary of a network, classification of an image, and a demo run.
//   convnets summary resnet50 [--size 224]
//   convnets classify resnet50 --weights resnet50.safetensors photo.ppm [--top 5]
//   convnets demo [model]          (random weights: times eager and compiled inference)
import { performance } from 'node:perf_hooks';

import { loadImage } from './io/image';
import { presets } from './io/presets';
import { loadSafetensors } from './io/safetensors';
import * as models from './models';
import { Module } from './nn/module';
import { cpuInfo, getNumThreads } from './runtime';
import { softmax } from './functional/softmax';
import { summary } from './summary';
import { Tensor } from './tensor';

const NAMES = ['alexnet', 'alexnetOriginal', 'vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn',
  'googlenet', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'densenet121', 'densenet161', 'densenet169', 'densenet201'] as const;
type Name = (typeof NAMES)[number];

function build(name: string): Module {
  if (!(NAMES as readonly string[]).includes(name)) throw new Error(`unknown model '${name}' (one of ${NAMES.join(', ')})`);
  const factory = (models as unknown as Record<Name, (o?: object) => Module>)[name as Name];
  return factory().eval() as Module;
}

function flag(args: string[], name: string, fallback?: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

function topK(probs: Float32Array, k: number): { index: number; p: number }[] {
  return Array.from(probs, (p, index) => ({ index, p })).sort((a, b) => b.p - a.p).slice(0, k);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(argv: string[]): Promise<void> {
  const args = argv.slice();
  const cmd = args.shift() ?? 'demo';
  if (cmd === 'summary') {
    const size = Number(flag(args, '--size', '224'));
    const model = build(args[0] ?? 'resnet50');
    console.log(summary(model, [1, 3, size, size]).text);
    return;
  }
  if (cmd === 'classify') {
    const weights = flag(args, '--weights');
    const top = Number(flag(args, '--top', '5'));
    const [name, image] = args;
    if (!name || !image || !weights) throw new Error('usage: convnets classify <model> --weights <file.safetensors> <image.ppm> [--top 5]');
    const model = build(name);
    model.loadStateDict(loadSafetensors(weights));
    const x = await loadImage(image, presets.imagenet());
    const probs = softmax(model.forward(x) as Tensor, 1).data();
    for (const { index, p } of topK(probs, top)) console.log(`${String(index).padStart(4)}  ${(p * 100).toFixed(2)}%`);
    return;
  }
  if (cmd === 'demo') {
    const name = args[0] ?? 'resnet50';
    const size = name === 'alexnetOriginal' ? 227 : 224;
    const model = build(name);
    const s = summary(model, [1, 3, size, size]);
    console.log(`${name}: ${s.totalParams.toLocaleString()} parameters, ${(s.totalMacs / 1e9).toFixed(3)} GMACs at ${size}x${size}`);
    console.log(`CPU: ${cpuInfo().active}, ${getNumThreads()} threads`);
    const x = Tensor.rand([1, 3, size, size], { seed: 1 });
    const times: number[] = [];
    let out: Tensor | undefined;
    for (let i = 0; i < 6; i++) {
      out?.dispose();
      const t0 = performance.now();
      out = model.forward(x) as Tensor;
      times.push(performance.now() - t0);
    }
    const ms = median(times.slice(1));
    console.log(`eager forward, batch 1: ${ms.toFixed(1)} ms median (${((2 * s.totalMacs) / ms / 1e6).toFixed(1)} GFLOP/s)`);
    const best = topK(softmax(out as Tensor, 1).data(), 3);
    console.log(`top-3 classes of a random image (random weights): ${best.map((b) => b.index).join(', ')}`);
    return;
  }
  throw new Error(`unknown command '${cmd}' (summary, classify, demo)`);
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(`convnets: ${e.message}`);
  process.exit(1);
});
