// The five benchmark networks (torchvision configurations) and their cached seeded weights, shared by
// bench/networks.ts and bench/profile-network.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { io, models, nn } from '../lib';
import { manualSeed } from '../lib/nn/init';

export const CACHE = path.join(__dirname, '.cache');

export const NETS: Record<string, () => nn.Module> = {
  alexnet: () => models.alexnet(),
  vgg16: () => models.vgg16(),
  googlenet: () => models.googlenet({ auxLogits: false, transformInput: false }),
  resnet18: () => models.resnet18(),
  resnet50: () => models.resnet50(),
  densenet121: () => models.densenet121(),
};

/** Our model with the cached weights (written from our seeded init on the first run), in eval mode. */
export function loadModel(net: string): nn.Module {
  if (!NETS[net]) throw new Error(`unknown network '${net}' (one of ${Object.keys(NETS).join(', ')})`);
  const file = path.join(CACHE, `${net}.safetensors`);
  manualSeed(1);
  const model = NETS[net]();
  if (fs.existsSync(file)) {
    const dict = io.loadSafetensors(file);
    model.loadStateDict(dict);
    for (const t of dict.values()) t.dispose();
  } else {
    fs.mkdirSync(CACHE, { recursive: true });
    io.saveSafetensors(file, model.stateDict());
  }
  return model.eval();
}
