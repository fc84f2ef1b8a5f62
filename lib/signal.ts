// The maths of convolution on plain arrays, with the semantics of numpy and scipy.signal:
//   convolve(a, v, mode = 'full')        numpy.convolve     (out[n] = Σ_m a[m] · v[n - m])
//   correlate(a, v, mode = 'valid')      numpy.correlate    (out[k] = Σ_n a[n + k] · v[n])
//   convolve2d(in1, in2, mode = 'full')  scipy.signal.convolve2d, zero fill
//   correlate2d(in1, in2, mode = 'full') scipy.signal.correlate2d, zero fill
// and convOutputSize, the output length of a convolution or pooling layer (torch's formula).
// Computed natively in float64 (native/cpu/signal.cc); modes and operand swaps follow numpy / scipy.
import { native } from './native';

export type Mode = 'full' | 'same' | 'valid';

/** A row-major 2-D array: the alternative to number[][] for large inputs. */
export interface Array2D {
  data: Float64Array;
  shape: readonly [number, number];
}

// By tag, not instanceof: arrays made by the addon (or another realm, e.g. a vm context) are still Float64Arrays.
const isF64 = (v: unknown): v is Float64Array => Object.prototype.toString.call(v) === '[object Float64Array]';

function modeArg(op: string, mode: unknown): Mode {
  if (mode !== 'full' && mode !== 'same' && mode !== 'valid') {
    throw new TypeError(`${op}: mode must be 'full', 'same' or 'valid', got ${typeof mode === 'string' ? `'${mode}'` : String(mode)}`);
  }
  return mode;
}

function vectorArg(op: string, name: string, v: unknown): Float64Array {
  if (isF64(v)) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Float64Array.from(v);
  throw new TypeError(`${op}: ${name} must be a number[] or a Float64Array`);
}

function matrixArg(op: string, name: string, m: unknown): { data: Float64Array; shape: [number, number]; nested: boolean } {
  if (Array.isArray(m)) {
    const rows = m.length;
    const cols = rows > 0 && Array.isArray(m[0]) ? m[0].length : 0;
    const data = new Float64Array(rows * cols);
    m.forEach((row: unknown, r) => {
      if (!Array.isArray(row) || !row.every((x) => typeof x === 'number')) throw new TypeError(`${op}: ${name}[${r}] must be a number[]`);
      if (row.length !== cols) throw new TypeError(`${op}: ${name} is ragged: row ${r} has ${row.length} values but row 0 has ${cols}`);
      data.set(row, r * cols);
    });
    return { data, shape: [rows, cols], nested: true };
  }
  const a = m as Partial<Array2D> | null;
  if (a && isF64(a.data) && Array.isArray(a.shape) && a.shape.length === 2) {
    return { data: a.data, shape: [a.shape[0], a.shape[1]], nested: false };
  }
  throw new TypeError(`${op}: ${name} must be a number[][] or { data: Float64Array, shape: [rows, cols] }`);
}

function oneD(op: string, a: unknown, v: unknown, mode: unknown, correlate: boolean): number[] | Float64Array {
  const out = native.signalConvolve(vectorArg(op, 'a', a), vectorArg(op, 'v', v), modeArg(op, mode), correlate);
  return isF64(a) ? out : Array.from(out);
}

function twoD(op: string, in1: unknown, in2: unknown, mode: unknown, correlate: boolean): number[][] | Array2D {
  const a = matrixArg(op, 'in1', in1);
  const b = matrixArg(op, 'in2', in2);
  const out = native.signalConvolve2d(a, b, { mode: modeArg(op, mode), correlate });
  if (!a.nested) return out;
  const [rows, cols] = out.shape;
  return Array.from({ length: rows }, (_, r) => Array.from(out.data.subarray(r * cols, (r + 1) * cols)));
}

/**
 * numpy.convolve: the discrete linear convolution out[n] = Σ_m a[m] · v[n − m].
 * 'full' (default) has length M + N − 1; 'same' max(M, N), centred; 'valid' max(M, N) − min(M, N) + 1.
 * Returns the same kind of array as `a`.
 */
export function convolve(a: readonly number[], v: readonly number[], mode?: Mode): number[];
export function convolve(a: Float64Array, v: Float64Array | readonly number[], mode?: Mode): Float64Array;
export function convolve(a: readonly number[] | Float64Array, v: readonly number[] | Float64Array, mode: Mode = 'full'): number[] | Float64Array {
  return oneD('signal.convolve', a, v, mode, false);
}

/**
 * numpy.correlate: out[k] = Σ_n a[n + k] · v[n]; mode 'valid' by default (numpy's default). With v longer
 * than a, numpy correlates the other way round and reverses the result; so does this.
 */
export function correlate(a: readonly number[], v: readonly number[], mode?: Mode): number[];
export function correlate(a: Float64Array, v: Float64Array | readonly number[], mode?: Mode): Float64Array;
export function correlate(a: readonly number[] | Float64Array, v: readonly number[] | Float64Array, mode: Mode = 'valid'): number[] | Float64Array {
  return oneD('signal.correlate', a, v, mode, true);
}

/**
 * scipy.signal.convolve2d(in1, in2, mode) with zero fill: in2 is the kernel; 'same' keeps in1's shape,
 * centred on the 'full' output at offset floor((kernel − 1) / 2); in 'valid' mode the larger input is the image.
 */
export function convolve2d(in1: number[][], in2: number[][], mode?: Mode): number[][];
export function convolve2d(in1: Array2D, in2: Array2D | number[][], mode?: Mode): Array2D;
export function convolve2d(in1: number[][] | Array2D, in2: number[][] | Array2D, mode: Mode = 'full'): number[][] | Array2D {
  return twoD('signal.convolve2d', in1, in2, mode, false);
}

/**
 * scipy.signal.correlate2d(in1, in2, mode) with zero fill: out[r][c] = Σ in1[r + i − o_r][c + j − o_c] · in2[i][j].
 * Note scipy's 'same' centring here starts at lag −floor((kernel − 1) / 2), which for an even kernel differs by
 * one from numpy.correlate's −floor(kernel / 2); this follows scipy.
 */
export function correlate2d(in1: number[][], in2: number[][], mode?: Mode): number[][];
export function correlate2d(in1: Array2D, in2: Array2D | number[][], mode?: Mode): Array2D;
export function correlate2d(in1: number[][] | Array2D, in2: number[][] | Array2D, mode: Mode = 'full'): number[][] | Array2D {
  return twoD('signal.correlate2d', in1, in2, mode, true);
}

/**
 * Output length of a convolution or pooling window sliding over `inSize` (torch's formula):
 *   floor((inSize + 2·padding − dilation·(kernel − 1) − 1 + (ceilMode ? stride − 1 : 0)) / stride) + 1,
 * and in ceil mode one less when the last window would start past the input and its left padding.
 * A result ≤ 0 means no window fits.
 */
export function convOutputSize(inSize: number, kernel: number, stride = 1, padding = 0, dilation = 1, ceilMode = false): number {
  const ints: [string, number, number][] = [['inSize', inSize, 0], ['kernel', kernel, 1], ['stride', stride, 1], ['padding', padding, 0], ['dilation', dilation, 1]];
  for (const [name, v, min] of ints) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`convOutputSize: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  let out = Math.floor((inSize + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= inSize + padding) out--;
  return out;
}
