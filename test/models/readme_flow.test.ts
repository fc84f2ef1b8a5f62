// The README's weights flow end to end: build resnet18, save its state dict with io.saveSafetensors, load
// the file into a fresh resnet18 with loadStateDict, and the fresh model computes exactly the same logits.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { io, models, Tensor } from '../../lib';
import { manualSeed } from '../../lib/nn/init';

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-readme-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

test('resnet18: saveSafetensors(stateDict) then loadStateDict into a fresh model gives identical outputs', () => {
  manualSeed(11);
  const a = models.resnet18();
  // Give the BatchNorm buffers non-default values too, so the file carries every kind of tensor.
  const dict = new Map<string, Tensor>();
  let seed = 100;
  for (const [k, t] of a.stateDict()) {
    if (k.endsWith('running_mean')) dict.set(k, Tensor.rand(t.shape, { seed: seed++, low: -0.2, high: 0.2 }));
    else if (k.endsWith('running_var')) dict.set(k, Tensor.rand(t.shape, { seed: seed++, low: 0.5, high: 1.5 }));
  }
  a.loadStateDict(dict, { strict: false });
  for (const t of dict.values()) t.dispose();
  a.eval();

  const file = path.join(tmpDir, 'resnet18.safetensors');
  io.saveSafetensors(file, a.stateDict());

  manualSeed(12); // different init: before loading, the fresh model must disagree
  const b = models.resnet18().eval();
  const x = Tensor.rand([1, 3, 224, 224], { seed: 3, low: -1, high: 1 });
  const ya = a.forward(x);
  const before = b.forward(x);
  expect(Array.from(before.data())).not.toEqual(Array.from(ya.data()));

  const loaded = io.loadSafetensors(file);
  expect(b.loadStateDict(loaded)).toEqual({ missingKeys: [], unexpectedKeys: [] });
  for (const t of loaded.values()) t.dispose();
  const yb = b.forward(x);
  expect(yb.shape).toEqual([1, 1000]);
  const out = Array.from(yb.data());
  expect(out.every(Number.isFinite)).toBe(true);
  expect(out).toEqual(Array.from(ya.data()));

  for (const t of [x, ya, before, yb]) t.dispose();
  a.dispose();
  b.dispose();
});
