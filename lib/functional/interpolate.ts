// torch.nn.functional.interpolate for NCHW tensors: a native op (core/ops_interpolate.cc, CPU and CUDA),
// except 'area', which is torch's adaptive average pooling.
import { native } from '../native';
import { Tensor } from '../tensor';
import { boolArg, optionsArg, pairArg, tensorArg } from './args';
import { adaptiveAvgPool2d } from './pooling';
import type { Size2 } from './args';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'bilinear' | 'bicubic' | 'area';

export interface InterpolateOptions {
  /** Output [h, w] (or one number for both). Exactly one of size and scaleFactor. */
  size?: Size2;
  /** Output = floor(input * scaleFactor) per dimension; the factor itself sets the sampling grid
   *  (torch's scale_factor) unless recomputeScaleFactor. */
  scaleFactor?: number | readonly [number, number];
  /** Default 'nearest' (torch's default). */
  mode?: InterpolateMode;
  /** 'bilinear' and 'bicubic' only: corner pixels' centres aligned (torch's align_corners; default false). */
  alignCorners?: boolean;
  /** 'bilinear' and 'bicubic' only: PIL's filter widened by the downscaling factor (default false). */
  antialias?: boolean;
  /** Sample on the grid of the computed output size instead of the given scale factor. */
  recomputeScaleFactor?: boolean;
}

const MODES: readonly string[] = ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'];

function scaleArg(op: string, v: unknown): [number, number] {
  const ok = (s: unknown): s is number => typeof s === 'number' && Number.isFinite(s) && s > 0;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new TypeError(`${op}: scaleFactor must be a positive number or a pair [h, w] of them, got ${JSON.stringify(v)}`);
}

/**
 * Resizes the spatial dimensions of x [N, C, H, W] with torch's semantics: same output sizes, same
 * sampling grids, same filters (antialias = PIL's resampling).
 */
export function interpolate(input: Tensor, opts: InterpolateOptions): Tensor {
  const op = 'interpolate';
  const x = tensorArg(op, 'input', input);
  const o = optionsArg(op, opts, true);
  const mode = o.mode ?? 'nearest';
  // The options' meaning is checked here, where 'area' (adaptive pooling) and scaleFactor → size are
  // implemented; the rank before reading H and W (ops::interpolate's words). Sizes and ranges: native.
  if (!MODES.includes(mode)) throw new TypeError(`${op}: mode must be one of ${MODES.map((m) => `'${m}'`).join(', ')}, got '${String(mode)}'`);
  if (x.shape.length !== 4) throw new Error(`${op}: expected a 4-D input (N, C, H, W), got [${x.shape.join(', ')}]`);
  const interpolating = mode === 'bilinear' || mode === 'bicubic';
  if (o.alignCorners !== undefined && !interpolating)
    throw new Error(`${op}: alignCorners can only be set with 'bilinear' or 'bicubic', not '${mode}'`);
  const alignCorners = boolArg(op, 'alignCorners', o.alignCorners ?? false);
  const antialias = boolArg(op, 'antialias', o.antialias ?? false);
  if (antialias && !interpolating) throw new Error(`${op}: antialias is only supported with 'bilinear' and 'bicubic', not '${mode}'`);
  if ((o.size === undefined) === (o.scaleFactor === undefined))
    throw new Error(`${op}: give exactly one of size and scaleFactor`);
  let size: [number, number];
  let scales: [number, number] = [0, 0];
  if (o.size !== undefined) {
    size = pairArg(op, 'size', o.size);
  } else {
    const s = scaleArg(op, o.scaleFactor);
    size = [Math.floor(x.shape[2] * s[0]), Math.floor(x.shape[3] * s[1])];
    if (size[0] < 1 || size[1] < 1) throw new Error(`${op}: scaleFactor ${JSON.stringify(o.scaleFactor)} gives an empty output [${size.join(', ')}] for input [${x.shape.join(', ')}]`);
    if (!boolArg(op, 'recomputeScaleFactor', o.recomputeScaleFactor ?? false)) scales = s;
  }
  if (mode === 'area') return adaptiveAvgPool2d(x, size);
  return new Tensor(native.interpolate(x.handle, { size, mode, alignCorners, antialias, scaleFactor: scales }));
}
