// Image presets: torchvision's ImageClassification transform on decoded images — resize the shorter side
// (antialiased bilinear through F.interpolate, as PIL resizes), center crop, [0, 1], normalise.
import { interpolate } from '../functional/interpolate';
import { batchNorm } from '../functional/normalization';
import { cat } from '../functional/shape';
import { native } from '../native';
import { Tensor } from '../tensor';

/** ImageNet statistics torchvision's pretrained weights expect. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

export interface ImagePresetOptions {
  /** Shorter side after resizing (torchvision's resize_size), default 256. */
  resizeSize?: number;
  /** Side of the square center crop (crop_size), default 224. */
  cropSize?: number;
  mean?: readonly number[];
  std?: readonly number[];
  /** Default 'bilinear' (torchvision's InterpolationMode.BILINEAR). */
  interpolation?: 'bilinear' | 'bicubic' | 'nearest';
  /** Default true: PIL's resampling, which torchvision's preset uses. */
  antialias?: boolean;
  /** How decoded 8-bit images are resized: 'pil' (default) — PIL's Image.resize bit for bit, 8-bit
   *  between and after its two passes, so loadImage gives torchvision + PIL's tensor exactly; 'tensor' —
   *  F.interpolate on float pixels (torchvision's tensor path; within one 8-bit step of PIL). 16-bit images
   *  and tensors given to apply() always take the float path. */
  resize?: 'pil' | 'tensor';
}

/** Interleaved pixels as decoded (io/image.ts DecodedImage). */
export interface PixelImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array | Uint16Array;
}

/** A preprocessing recipe; apply() takes [N, 3, H, W] in [0, 1] and returns the network's input. */
export interface ImagePreset {
  readonly name: string;
  readonly resizeSize: number;
  readonly cropSize: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly interpolation: 'bilinear' | 'bicubic' | 'nearest';
  readonly antialias: boolean;
  readonly resize: 'pil' | 'tensor';
  /** [N, 3, H, W] in [0, 1] → the network's input (resize with F.interpolate, crop, normalise). */
  apply(x: Tensor): Tensor;
  /** A decoded image → [1, 3, cropSize, cropSize] (PIL's resize on 8-bit pixels unless resize is 'tensor'). */
  applyImage(image: PixelImage): Tensor;
}

/** torchvision's _compute_resized_output_size for an int size: the shorter side becomes `size`, the
 *  longer int(size · long / short). */
export function resizedSize(height: number, width: number, size: number): [number, number] {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [newLong, size] : [size, newLong];
}

/** Python's round(): halves to even, as torchvision's center_crop offsets use. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision's center_crop offsets: round((size - crop) / 2); a crop larger than the image pads it with
 *  zeros, floor((crop - size) / 2) before. */
export function centerCropOffsets(height: number, width: number, cropH: number, cropW: number): [number, number] {
  const offset = (size: number, crop: number) => (crop > size ? -Math.floor((crop - size) / 2) : roundHalfEven((size - crop) / 2));
  return [offset(height, cropH), offset(width, cropW)];
}

function positiveInt(name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new TypeError(`presets.imagenet: ${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

/** x [N, C, H, W] on the CPU, in [0, 1] → (x − mean) / std, per channel. */
export function normalize(x: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  const c = x.shape[1];
  if (mean.length !== c || std.length !== c) throw new Error(`normalize: mean and std need ${c} values, got ${mean.length} and ${std.length}`);
  // (x − mean) / std is an inference batch norm with running var = std² and eps 0.
  const m = Tensor.from(mean, [c]);
  const v = Tensor.from(std.map((s) => s * s), [c]);
  try {
    return batchNorm(x, m, v, null, null, { eps: 0 });
  } finally {
    m.dispose();
    v.dispose();
  }
}

/** torchvision's ImageClassification preset (the transforms of every ImageNet weights entry). */
export function imagenet(opts: ImagePresetOptions = {}): ImagePreset {
  const resizeSize = positiveInt('resizeSize', opts.resizeSize ?? 256);
  const cropSize = positiveInt('cropSize', opts.cropSize ?? 224);
  const mean = [...(opts.mean ?? IMAGENET_MEAN)];
  const std = [...(opts.std ?? IMAGENET_STD)];
  if (mean.length !== 3 || std.length !== 3 || std.some((s) => !(s > 0))) throw new TypeError('presets.imagenet: mean and std need 3 numbers each, std positive');
  const interpolation = opts.interpolation ?? 'bilinear';
  if (!['bilinear', 'bicubic', 'nearest'].includes(interpolation)) throw new TypeError(`presets.imagenet: interpolation must be 'bilinear', 'bicubic' or 'nearest', got '${interpolation}'`);
  const antialias = interpolation === 'nearest' ? false : (opts.antialias ?? true);
  const resize = opts.resize ?? 'pil';
  if (resize !== 'pil' && resize !== 'tensor') throw new TypeError(`presets.imagenet: resize must be 'pil' or 'tensor', got '${String(resize)}'`);
  const cropAndNormalize = (resized: Tensor, h: number, w: number): Tensor => {
    const [top, left] = centerCropOffsets(h, w, cropSize, cropSize);
    const cropped = new Tensor(native.crop2d(resized.handle, { top, left, height: cropSize, width: cropSize }));
    const y = normalize(cropped, mean, std);
    cropped.dispose();
    return y;
  };
  const preset: ImagePreset = {
    name: `imagenet(resize ${resizeSize}, crop ${cropSize})`,
    resizeSize,
    cropSize,
    mean,
    std,
    interpolation,
    antialias,
    resize,
    apply(x: Tensor): Tensor {
      if (x.shape.length !== 4 || x.shape[1] !== 3) throw new Error(`preset: expected [N, 3, H, W], got [${x.shape.join(', ')}]`);
      const [h, w] = resizedSize(x.shape[2], x.shape[3], resizeSize);
      const resized = h === x.shape[2] && w === x.shape[3] ? x : interpolate(x, { size: [h, w], mode: interpolation, ...(antialias ? { antialias } : {}) });
      const y = cropAndNormalize(resized, h, w);
      if (resized !== x) resized.dispose();
      return y;
    },
    applyImage(image: PixelImage): Tensor {
      const pil = resize === 'pil' && antialias && interpolation !== 'nearest' && image.pixels instanceof Uint8Array;
      if (!pil) {
        const x = pixelsToFloat(image);
        const y = preset.apply(x);
        x.dispose();
        return y;
      }
      const [h, w] = resizedSize(image.height, image.width, resizeSize);
      const px = h === image.height && w === image.width ? image.pixels as Uint8Array
        : native.resizeImagePil(image.pixels as Uint8Array, { height: image.height, width: image.width, channels: image.channels,
          outHeight: h, outWidth: w, bicubic: interpolation === 'bicubic' });
      const x = pixelsToFloat({ width: w, height: h, channels: image.channels, pixels: px });
      const y = cropAndNormalize(x, h, w);
      x.dispose();
      return y;
    },
  };
  return preset;
}

/** [1, 3, H, W] in [0, 1] from interleaved pixels (grey repeated to 3 channels). */
export function pixelsToFloat(image: PixelImage): Tensor {
  const x = new Tensor(native.imageToTensor(image.pixels, image.height, image.width, image.channels));
  if (image.channels === 3) return x;
  const y = cat([x, x, x], 1);
  x.dispose();
  return y;
}

export const presets = { imagenet };
