// Pictures of a network (sharp writes the PNGs): a conv layer's filters as a grid (AlexNet's first layer is
// the classic one) and a layer's activations as a grid of feature maps. Each tile is min-max scaled on its
// own (native tensorsToGrid), then the grid is enlarged with nearest-neighbour sampling so pixels stay sharp.
import type { Sharp } from 'sharp';

import { native } from './native';
import { Conv2d } from './nn/conv';
import { Module } from './nn/module';
import { Tensor } from './tensor';

export interface GridOptions {
  /** Tiles per row (default: a near-square grid). */
  cols?: number;
  /** Enlargement factor of the whole picture (nearest neighbour). */
  scale?: number;
  /** Pixels between tiles (default 1). */
  pad?: number;
}

/** The first h rows of a [1, 1, R, W] view: the leading `count` tiles of a stacked tensor. */
function leading(t: Tensor, count: number, h: number, w: number): Tensor {
  const flat = t.reshape([1, 1, t.numel / w, w]);
  return new Tensor(native.crop2d(flat.handle, { top: 0, left: 0, height: count * h, width: w })).reshape([count, 1, h, w]);
}

async function writeGrid(tiles: Tensor, file: string, opts: GridOptions, defaultScale: number): Promise<{ width: number; height: number }> {
  const n = tiles.shape[0];
  const cols = opts.cols ?? Math.ceil(Math.sqrt(n));
  const g = native.tensorsToGrid(tiles.handle, cols, opts.pad ?? 1);
  const scale = opts.scale ?? defaultScale;
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) throw new Error(`viz: scale must be an integer in [1, 64], got ${scale}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sharp = require('sharp') as (input: Buffer, opts: object) => Sharp;
  let img = sharp(Buffer.from(g.pixels.buffer, g.pixels.byteOffset, g.pixels.byteLength), { raw: { width: g.width, height: g.height, channels: g.channels } });
  if (scale > 1) img = img.resize(g.width * scale, g.height * scale, { kernel: 'nearest' });
  await img.png().toFile(file);
  return { width: g.width * scale, height: g.height * scale };
}

/**
 * Draws a conv layer's filters (or a weight tensor [K, C, R, S]) as a grid PNG: RGB tiles when the layer
 * reads 3 channels (a first layer), else the first input channel of each filter in grey.
 */
export async function filters(conv: Conv2d | Tensor, file: string, opts: GridOptions = {}): Promise<{ width: number; height: number }> {
  const w = conv instanceof Tensor ? conv : conv.weight;
  if (!(w instanceof Tensor) || w.shape.length !== 4) throw new Error('viz.filters: expected a Conv2d or a [K, C, R, S] weight');
  const cpu = w.device === 'cpu' ? w : w.to('cpu');
  const [K, C, R, S] = cpu.shape;
  const tiles = C === 3 ? cpu : leading(cpu.reshape([K, C * R, S]), K, R, S);
  const scale = Math.max(1, Math.round(48 / Math.max(R, S)));
  return writeGrid(tiles, file, opts, scale);
}

/** Draws the channels of an activation [N, C, H, W] (the first image, at most maxMaps channels) as grey tiles. */
export async function featureMaps(t: Tensor, file: string, opts: GridOptions & { maxMaps?: number } = {}): Promise<{ width: number; height: number }> {
  if (!(t instanceof Tensor) || t.shape.length !== 4) throw new Error('viz.featureMaps: expected an [N, C, H, W] tensor');
  const cpu = t.device === 'cpu' ? t : t.to('cpu');
  const [, C, H, W] = cpu.shape;
  const count = Math.min(C, opts.maxMaps ?? 64);
  return writeGrid(leading(cpu, count, H, W), file, opts, Math.max(1, Math.round(64 / Math.max(H, W))));
}

/** The first Conv2d of a network in module order (the layer whose filters look at pixels). */
export function firstConv(model: Module): Conv2d {
  for (const [, m] of model.namedModules()) if (m instanceof Conv2d) return m;
  throw new Error('viz: the model has no Conv2d layer');
}
