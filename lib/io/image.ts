// Images in and out. Decoding goes through sharp (libvips: JPEG, PNG 8/16-bit, WebP, GIF, TIFF, AVIF), with
// the EXIF orientation applied, grey expanded to RGB and alpha dropped (PIL's exif_transpose +
// convert('RGB')); binary PPM/PGM, which sharp's prebuilt libvips does not read, keep their small decoder
// here. Pixels become a [1, 3, H, W] float tensor in [0, 1]; a preset (io/presets.ts) then resizes, crops
// and normalises as torchvision does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Sharp } from 'sharp';

import { cat } from '../functional/shape';
import { native } from '../native';
import { Tensor } from '../tensor';
import { IMAGENET_MEAN, IMAGENET_STD, ImagePreset, normalize, pixelsToFloat } from './presets';

export type ImageSource = string | Buffer | Uint8Array;

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Interleaved H × W × C; 16-bit sources keep their 16 bits. */
  pixels: Uint8Array | Uint16Array;
}

// sharp is loaded on first use: importing convnets does not pay for libvips.
let sharpFn: ((input?: Buffer | string, opts?: object) => Sharp) | undefined;
function sharp(input: Buffer | string): Sharp {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sharpFn ??= require('sharp') as (input?: Buffer | string, opts?: object) => Sharp;
  // failOn 'error': a truncated or corrupt file is an error, not a half-grey picture; pages 1: GIF's first frame.
  return sharpFn(input, { failOn: 'error', pages: 1 });
}

/** Decodes a binary PPM (P6, RGB) or PGM (P5, grey) with maxval ≤ 255. */
export function decodePnm(data: Buffer | Uint8Array): DecodedImage {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < bytes.length && /\s/.test(String.fromCharCode(bytes[pos]))) pos++;
      if (bytes[pos] === 0x23) { // '#': a comment runs to the end of the line
        while (pos < bytes.length && bytes[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < bytes.length && !/\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    if (start === pos) throw new Error('decodePnm: truncated header');
    return String.fromCharCode(...bytes.subarray(start, pos));
  };
  const magic = token();
  if (magic !== 'P6' && magic !== 'P5') throw new Error(`decodePnm: expected a binary PPM (P6) or PGM (P5), got '${magic.slice(0, 8)}'`);
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height > 1 << 28) {
    throw new Error(`decodePnm: bad image size ${width}x${height}`);
  }
  if (maxval !== 255) throw new Error(`decodePnm: only 8-bit images (maxval 255) are supported, got ${maxval}`);
  pos++; // the single whitespace byte after maxval
  const channels = magic === 'P6' ? 3 : 1;
  const need = width * height * channels;
  if (bytes.length - pos < need) throw new Error(`decodePnm: pixel data is truncated (${bytes.length - pos} of ${need} bytes)`);
  return { width, height, channels, pixels: bytes.slice(pos, pos + need) };
}

function isPnm(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36); // 'P5' | 'P6'
}

function describe(src: ImageSource): string {
  return typeof src === 'string' ? src : `a ${src.length}-byte buffer`;
}

/** Decodes any supported image to interleaved RGB (8 or 16 bits), oriented as its EXIF tag says. */
export async function decodeImage(src: ImageSource): Promise<DecodedImage> {
  let bytes: Buffer;
  if (typeof src === 'string') {
    bytes = await fs.promises.readFile(src);
  } else if (src instanceof Uint8Array) {
    bytes = Buffer.isBuffer(src) ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  } else {
    throw new TypeError(`loadImage: expected a path, a Buffer or a Uint8Array, got ${typeof src}`);
  }
  if (isPnm(bytes)) return decodePnm(bytes);
  try {
    const meta = await sharp(bytes).metadata();
    const wide = meta.depth === 'ushort';
    const img = sharp(bytes).rotate().removeAlpha().toColourspace(wide ? 'rgb16' : 'srgb');
    const { data, info } = await img.raw(wide ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    const pixels = wide
      ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { width: info.width, height: info.height, channels: 3, pixels };
  } catch (e) {
    throw new Error(`loadImage: cannot decode ${describe(src)}: ${(e as Error).message}`);
  }
}

/** [1, 3, H, W] in [0, 1] (grey is repeated to 3 channels unless rgb: false). */
export function pixelsToTensor(image: DecodedImage, opts: { rgb?: boolean } = {}): Tensor {
  if (opts.rgb === false) return new Tensor(native.imageToTensor(image.pixels, image.height, image.width, image.channels));
  return pixelsToFloat(image);
}

/**
 * The decoded image as [1, C, H, W] in [0, 1], then normalised per channel: (x − mean) / std (ImageNet's by
 * default; `normalize: false` keeps [0, 1]). Grey images are repeated to 3 channels when `rgb` (default).
 */
export function imageToTensor(image: DecodedImage, opts: { normalize?: boolean; mean?: readonly number[]; std?: readonly number[]; rgb?: boolean } = {}): Tensor {
  const x = pixelsToTensor(image, opts);
  if (opts.normalize === false) return x;
  const y = normalize(x, opts.mean ?? IMAGENET_MEAN, opts.std ?? IMAGENET_STD);
  x.dispose();
  return y;
}

/**
 * Reads one image (a path, or the file's bytes) into a float32 CPU tensor: [1, 3, H, W] in [0, 1], or, with
 * a preset, the preset's output (e.g. presets.imagenet(): [1, 3, 224, 224], ImageNet-normalised).
 */
export async function loadImage(src: ImageSource, preset?: ImagePreset): Promise<Tensor> {
  const image = await decodeImage(src);
  return preset ? preset.applyImage(image) : pixelsToTensor(image);
}

export interface LoadImagesOptions {
  /** Decodes in flight at once (default: the number of CPUs). */
  concurrency?: number;
  /** Called after each image is ready, with the count done so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Several images as one batch [N, 3, H, W], decoded in parallel (sharp works on libuv's thread pool).
 * Without a preset every image must have the same size; the error names the first that differs.
 */
export async function loadImages(srcs: readonly ImageSource[], preset?: ImagePreset, opts: LoadImagesOptions = {}): Promise<Tensor> {
  if (!Array.isArray(srcs) || srcs.length === 0) throw new TypeError('loadImages: expected a non-empty list of paths or buffers');
  const limit = Math.max(1, opts.concurrency ?? os.availableParallelism());
  const out: Tensor[] = new Array(srcs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < srcs.length) {
      const i = next++;
      out[i] = await loadImage(srcs[i], preset);
      opts.onProgress?.(++done, srcs.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, srcs.length) }, worker));
    const s0 = out[0].shape;
    out.forEach((t, i) => {
      if (t.shape[2] !== s0[2] || t.shape[3] !== s0[3]) {
        throw new Error(`loadImages: ${describe(srcs[i])} is ${t.shape[3]}x${t.shape[2]} but ${describe(srcs[0])} is ${s0[3]}x${s0[2]}; pass a preset to bring them to one size`);
      }
    });
    return out.length === 1 ? out[0] : cat(out, 0);
  } finally {
    if (out.length > 1) for (const t of out) t?.dispose();
  }
}

export interface SaveImageOptions {
  /** The statistics the tensor was normalised with (default ImageNet's); ignored when normalized is false. */
  mean?: readonly number[];
  std?: readonly number[];
  /** Also accepted instead of mean/std: the preset that made the tensor. */
  preset?: ImagePreset;
  /** false: the values are already in [0, 1] (what loadImage gives without a preset). Default true. */
  normalized?: boolean;
}

/**
 * Writes one image ([1, C, H, W], [C, H, W] or [H, W]; C = 1 or 3) to `file`, in the format its extension
 * names (png, jpg/jpeg, webp, tiff, avif, gif). Normalised tensors are un-normalised first (see options);
 * values are clamped to [0, 1] and rounded to 8 bits.
 */
export async function saveImage(tensor: Tensor, file: string, opts: SaveImageOptions = {}): Promise<void> {
  if (!(tensor instanceof Tensor)) throw new TypeError('saveImage: expected a Tensor');
  const s = tensor.shape;
  let chw: number[];
  if (s.length === 4 && s[0] === 1) chw = [s[1], s[2], s[3]];
  else if (s.length === 3) chw = [...s];
  else if (s.length === 2) chw = [1, s[0], s[1]];
  else throw new Error(`saveImage: expected [1, C, H, W], [C, H, W] or [H, W], got [${s.join(', ')}]`);
  const c = chw[0];
  if (c !== 1 && c !== 3) throw new Error(`saveImage: expected 1 or 3 channels, got ${c}`);
  const normalized = opts.normalized ?? true;
  const mean = normalized ? [...(opts.mean ?? opts.preset?.mean ?? IMAGENET_MEAN)] : [0, 0, 0];
  const std = normalized ? [...(opts.std ?? opts.preset?.std ?? IMAGENET_STD)] : [1, 1, 1];
  const cpu = tensor.device === 'cpu' ? tensor : tensor.to('cpu');
  const view = cpu.reshape(chw);
  const pixels = native.tensorToImage(view.handle, c === 1 ? [mean[0]] : mean.slice(0, 3), c === 1 ? [std[0]] : std.slice(0, 3));
  if (cpu !== tensor) cpu.dispose();
  const ext = path.extname(file).slice(1).toLowerCase();
  const formats: Record<string, string> = { png: 'png', jpg: 'jpeg', jpeg: 'jpeg', webp: 'webp', tif: 'tiff', tiff: 'tiff', avif: 'avif', gif: 'gif' };
  const format = formats[ext];
  if (!format) throw new Error(`saveImage: unknown image extension '.${ext}' in ${file} (png, jpg, webp, tiff, avif, gif)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sharpFn ??= require('sharp') as (input?: Buffer | string, opts?: object) => Sharp;
  const img = sharpFn(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width: chw[2], height: chw[1], channels: c } });
  await img.toFormat(format as 'png').toFile(file);
}
