// Images: binary PPM/PGM (P6/P5, 8-bit) decoding — no dependency, and every image tool writes it
// (`convert photo.jpg photo.ppm`) — and the torchvision-style preprocessing the networks expect.
import * as fs from 'node:fs';

import { batchNorm } from '../functional/normalization';
import { cat } from '../functional/shape';
import { native } from '../native';
import { Tensor } from '../tensor';

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array; // interleaved H × W × C
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

/** ImageNet statistics torchvision's pretrained weights expect. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/**
 * [1, C, H, W] in [0, 1], then normalised per channel: (x − mean) / std (ImageNet's by default;
 * `normalize: false` keeps [0, 1]). Grey images are repeated to 3 channels when `rgb` (default).
 */
export function imageToTensor(image: DecodedImage, opts: { normalize?: boolean; mean?: number[]; std?: number[]; rgb?: boolean } = {}): Tensor {
  let x = new Tensor(native.imageToTensor(image.pixels, image.height, image.width, image.channels));
  let channels: number = image.channels;
  if (channels === 1 && opts.rgb !== false) {
    const grey = x;
    x = cat([grey, grey, grey], 1);
    grey.dispose();
    channels = 3;
  }
  if (opts.normalize === false) return x;
  const mean = opts.mean ?? IMAGENET_MEAN;
  const std = opts.std ?? IMAGENET_STD;
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(`imageToTensor: mean and std need ${channels} values, got ${mean.length} and ${std.length}`);
  }
  // (x − mean) / std is an inference batch norm with running var = std² and eps 0.
  const m = Tensor.from(mean, [channels]);
  const v = Tensor.from(std.map((s) => s * s), [channels]);
  const y = batchNorm(x, m, v, null, null, { eps: 0 });
  x.dispose();
  m.dispose();
  v.dispose();
  return y;
}

/** Reads a PPM/PGM file into a normalised [1, 3, H, W] tensor. */
export function loadImage(path: string, opts: { normalize?: boolean; mean?: number[]; std?: number[] } = {}): Tensor {
  return imageToTensor(decodePnm(fs.readFileSync(path)), opts);
}
