// Networks with torchvision's published weights, by name: models.load('resnet50', {weights: 'IMAGENET1K_V2'}).
// The table (weights.json) is generated from the installed torchvision's own metadata by
// scripts/make_weights_table.py: URLs, file names, sha256 prefixes, parameter counts, presets, accuracies and
// the 1000 ImageNet categories.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { loadPth } from '../io/pth';
import { imagenet, ImagePreset } from '../io/presets';
import { loadSafetensors } from '../io/safetensors';
import { Module } from '../nn/module';
import type { Device } from '../tensor';
import { alexnet, alexnetOriginal } from './alexnet';
import { densenet121, densenet161, densenet169, densenet201 } from './densenet';
import { googlenet } from './googlenet';
import { resnet18, resnet34, resnet50, resnet101, resnet152 } from './resnet';
import { vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn } from './vgg';
import { DownloadOptions, checkpointPath, checkpointUrl, fetchCheckpoint } from './hub';

interface TableEntry {
  url: string;
  file: string;
  sha256Prefix: string | null;
  numParams: number;
  preset: { resizeSize: number; cropSize: number; mean: number[]; std: number[]; interpolation: string; antialias: boolean };
  metrics: Record<string, Record<string, number>>;
  recipe: string | null;
  hasCategories: boolean;
}
interface Table {
  torchvision: string;
  architectures: Record<string, { default: string; weights: Record<string, TableEntry> }>;
  categories: string[];
}

let table: Table | undefined;
function weightsTable(): Table {
  if (table) return table;
  // lib/models/weights.json; from dist/models the package's lib/ copy.
  for (const p of [path.join(__dirname, 'weights.json'), path.join(__dirname, '..', '..', 'lib', 'models', 'weights.json')]) {
    if (fs.existsSync(p)) return (table = JSON.parse(fs.readFileSync(p, 'utf8')) as Table);
  }
  throw new Error('models: weights.json is missing from the package');
}

/** What a network loaded with published weights carries as `.weights`. */
export interface WeightsInfo {
  /** e.g. 'IMAGENET1K_V2', or the file's path when loaded from a file. */
  name: string;
  url: string | null;
  file: string;
  sha256Prefix: string | null;
  numParams: number | null;
  preset: ImagePreset;
  /** The class names, index = logit (ImageNet's 1000). */
  categories: readonly string[];
  /** e.g. {'ImageNet-1K': {acc1: 80.858, acc5: 95.434}} */
  metrics: Record<string, Record<string, number>>;
}

type Factory = (o?: { numClasses?: number; transformInput?: boolean }) => Module;
const FACTORIES: Record<string, Factory> = {
  alexnet, alexnetOriginal, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn, googlenet,
  resnet18, resnet34, resnet50, resnet101, resnet152, densenet121, densenet161, densenet169, densenet201,
} as Record<string, Factory>;

/** The architecture names models.load accepts. */
export const modelNames: readonly string[] = Object.keys(FACTORIES);

/** The ImageNet category names, in logit order. */
export function imagenetCategories(): readonly string[] {
  return weightsTable().categories;
}

function toInfo(arch: string, name: string, e: TableEntry): WeightsInfo {
  const p = e.preset;
  return {
    name,
    url: e.url,
    file: e.file,
    sha256Prefix: e.sha256Prefix,
    numParams: e.numParams,
    preset: imagenet({ resizeSize: p.resizeSize, cropSize: p.cropSize, mean: p.mean, std: p.std, interpolation: p.interpolation as 'bilinear', antialias: p.antialias }),
    categories: e.hasCategories ? weightsTable().categories : [],
    metrics: e.metrics,
  };
}

/** Every published weights entry of an architecture (DEFAULT first), or [] for one without any. */
export function listWeights(arch: string): (WeightsInfo & { isDefault: boolean; cached: boolean; path: string })[] {
  checkArch(arch);
  const a = weightsTable().architectures[arch];
  if (!a) return [];
  const names = [a.default, ...Object.keys(a.weights).filter((n) => n !== a.default)];
  return names.map((n) => {
    const info = toInfo(arch, n, a.weights[n]);
    const p = checkpointPath(info.file);
    return { ...info, isDefault: n === a.default, cached: fs.existsSync(p), path: p };
  });
}

function checkArch(arch: string): void {
  if (!FACTORIES[arch]) throw new Error(`models: unknown architecture '${arch}' (one of ${modelNames.join(', ')})`);
}

/** The table entry for `weights` ('DEFAULT' or a name such as 'IMAGENET1K_V1'). */
export function weightsInfo(arch: string, weights = 'DEFAULT'): WeightsInfo {
  checkArch(arch);
  const a = weightsTable().architectures[arch];
  if (!a) throw new Error(`models: torchvision publishes no weights for '${arch}'`);
  const name = weights === 'DEFAULT' ? a.default : weights;
  const e = a.weights[name];
  if (!e) throw new Error(`models: '${arch}' has no weights '${weights}' (one of DEFAULT, ${Object.keys(a.weights).join(', ')})`);
  return toInfo(arch, name, e);
}

/** Downloads (once) and returns the local path of an architecture's weights file. */
export function fetchWeights(arch: string, weights = 'DEFAULT', opts: DownloadOptions = {}): Promise<string> {
  const info = weightsInfo(arch, weights);
  return fetchCheckpoint({ url: info.url!, file: info.file, sha256Prefix: info.sha256Prefix }, opts);
}

export interface LoadOptions extends DownloadOptions {
  /** 'DEFAULT' (default), a weights name ('IMAGENET1K_V1'), a path to a .pth / .safetensors file, or null
   *  for random initialisation. */
  weights?: string | null;
  device?: Device;
}

export type LoadedModel = Module & { weights: WeightsInfo | null };

/**
 * An eval-mode network with torchvision's published weights (downloaded into the cache on first use), or
 * from a checkpoint file, or randomly initialised (weights: null). `.weights` carries the preset, the
 * categories and the metrics.
 */
export async function load(arch: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  checkArch(arch);
  const weights = opts.weights === undefined ? 'DEFAULT' : opts.weights;
  const build = (): Module => FACTORIES[arch](arch === 'googlenet' && weights !== null ? { transformInput: true } : {});
  let info: WeightsInfo | null = null;
  let file: string | null = null;
  if (weights !== null) {
    const a = weightsTable().architectures[arch];
    const named = a && (weights === 'DEFAULT' || a.weights[weights]);
    if (named) {
      info = weightsInfo(arch, weights);
      file = await fetchCheckpoint({ url: info.url!, file: info.file, sha256Prefix: info.sha256Prefix }, opts);
    } else if (fs.existsSync(weights)) {
      file = weights;
      info = { name: weights, url: null, file: path.basename(weights), sha256Prefix: null, numParams: null, preset: imagenet(), categories: weightsTable().categories, metrics: {} };
    } else {
      const names = a ? `DEFAULT, ${Object.keys(a.weights).join(', ')}` : 'none published';
      throw new Error(`models.load: '${weights}' is neither a weights name of ${arch} (${names}) nor an existing file`);
    }
  }
  const model = build() as LoadedModel;
  if (file) {
    const dict = /\.safetensors$/i.test(file) ? loadSafetensors(file) : loadPth(file);
    try {
      model.loadStateDict(dict);
    } finally {
      for (const t of dict.values()) t.dispose();
    }
  }
  model.eval();
  if (opts.device && opts.device !== 'cpu') model.to(opts.device);
  model.weights = info;
  return model;
}

export { checkpointPath, checkpointUrl };
