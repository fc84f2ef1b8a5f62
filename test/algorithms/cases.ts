// Awkward convolution shapes shared by the algorithm tests: odd sizes, batch 3, channels 5/17/33,
// every padding style, groups (incl. depthwise), strides 1/2/4, dilation 2, K beyond the GEMM's KC.
import { Conv2dOptions } from '../../lib/functional/conv';
import { RefConvOptions, samePad } from '../reference/conv';

export interface ConvCase {
  name: string;
  input: [number, number, number, number];
  weight: [number, number, number, number];
  opts: Conv2dOptions;
}

export const convCases: ConvCase[] = [
  { name: '3x3 p1 C5 batch3', input: [3, 5, 11, 13], weight: [7, 5, 3, 3], opts: { padding: 1 } },
  { name: '3x3 p0 C17→33 batch3', input: [3, 17, 9, 10], weight: [33, 17, 3, 3], opts: { padding: 0, activation: 'relu' } },
  { name: '3x3 p2 C33→17', input: [1, 33, 15, 14], weight: [17, 33, 3, 3], opts: { padding: 2 } },
  { name: '3x3 same C17→19 batch2', input: [2, 17, 12, 11], weight: [19, 17, 3, 3], opts: { padding: 'same', activation: 'relu' } },
  { name: '3x3 p1 C200→24 (K > KC)', input: [1, 200, 6, 7], weight: [24, 200, 3, 3], opts: { padding: 1 } },
  { name: '3x3 p1 7x7 K100 (Winograd splits output channels over tasks)', input: [1, 16, 7, 7], weight: [100, 16, 3, 3], opts: { padding: 1, activation: 'relu' } },
  { name: '3x3 p1 7x7 K40', input: [2, 16, 7, 7], weight: [40, 16, 3, 3], opts: { padding: 1, activation: 'relu' } },
  { name: 'even kernel 2x4 same dilation 2', input: [2, 5, 9, 9], weight: [6, 5, 2, 4], opts: { padding: 'same', dilation: 2 } },
  { name: '1x1 C17→33 batch3', input: [3, 17, 13, 13], weight: [33, 17, 1, 1], opts: { activation: 'relu' } },
  { name: '1x1 stride 2', input: [3, 17, 13, 12], weight: [20, 17, 1, 1], opts: { stride: 2 } },
  { name: '1x1 groups 4', input: [1, 8, 5, 5], weight: [12, 2, 1, 1], opts: { groups: 4 } },
  { name: '1x1 padding 1', input: [1, 5, 6, 6], weight: [7, 5, 1, 1], opts: { padding: 1 } },
  { name: '3x3 groups 3', input: [1, 6, 12, 12], weight: [12, 2, 3, 3], opts: { padding: 1, groups: 3, activation: 'relu' } },
  { name: 'depthwise 3x3', input: [2, 17, 10, 11], weight: [17, 1, 3, 3], opts: { padding: 1, groups: 17 } },
  { name: 'AlexNet-like 11x11/4 C3', input: [1, 3, 35, 35], weight: [10, 3, 11, 11], opts: { stride: 4, padding: 2, activation: 'relu' } },
  { name: '7x7/2 stem', input: [1, 3, 23, 23], weight: [9, 3, 7, 7], opts: { stride: 2, padding: 3 } },
  { name: '3x3 dilation 2 p2', input: [2, 5, 13, 12], weight: [7, 5, 3, 3], opts: { padding: 2, dilation: 2 } },
  { name: '3x3 stride 2', input: [1, 17, 14, 15], weight: [9, 17, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: '5x5 p2 batch3', input: [3, 5, 7, 9], weight: [4, 5, 5, 5], opts: { padding: 2 } },
  { name: '3x3 stride [1,2] pad [0,1]', input: [1, 5, 9, 10], weight: [6, 5, 3, 3], opts: { stride: [1, 2], padding: [0, 1] } },
  { name: '3x3/2 dilation 2 C20 batch3 (strided im2col offset table)', input: [3, 20, 15, 16], weight: [13, 20, 3, 3], opts: { stride: 2, padding: 2, dilation: 2, activation: 'relu' } },
  { name: '3x3/2 p1 wide rows (stride-2 runs longer than 16) batch2', input: [2, 5, 9, 41], weight: [6, 5, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: '5x5/2 p2 rows of 35 outputs', input: [1, 3, 7, 70], weight: [4, 3, 5, 5], opts: { stride: 2, padding: 2, activation: 'relu' } },
  { name: '3x3 p1 C64 7x7 groups 2 (im2col packs each image and group once, then one GEMM batch)', input: [1, 64, 7, 7], weight: [10, 32, 3, 3], opts: { padding: 1, groups: 2, activation: 'relu' } },
  { name: '1x1 7x7 C600→31 (edge panel 16 + 1 columns, K > KC)', input: [2, 600, 7, 7], weight: [31, 600, 1, 1], opts: { activation: 'relu' } },
  { name: '3x3 p1 14x14 C24→32 (4-column edge panel)', input: [1, 24, 14, 14], weight: [32, 24, 3, 3], opts: { padding: 1 } },
  { name: '3x3 p1 rows of 70 batch2 (Winograd lane blocks inside one tile row: the vector gather loads rows directly)', input: [2, 5, 6, 70], weight: [7, 5, 3, 3], opts: { padding: 1, activation: 'relu' } },
  { name: '3x3/2 p1 C64→30 groups 2 batch2 (implicit GEMM: depth 288 > KC, several column blocks of junk-padded rows)', input: [2, 64, 40, 41], weight: [30, 32, 3, 3], opts: { stride: 2, padding: 1, groups: 2, activation: 'relu' } },
  { name: '5x5/3 p2 dilation 2 (implicit GEMM: nine phase planes)', input: [1, 6, 20, 19], weight: [14, 6, 5, 5], opts: { stride: 3, padding: 2, dilation: 2 } },
  { name: '3x3 p1 14x14 groups 2 batch2 K100 (Winograd: both images in one tile block per group)', input: [2, 32, 14, 14], weight: [100, 16, 3, 3], opts: { padding: 1, groups: 2, activation: 'relu' } },
  { name: '3x3 p1 14x14 batch1 K100 (Winograd: one tile block, fewer than the threads: input transformed once by channel chunks, then output-channel slices)', input: [1, 32, 14, 14], weight: [100, 32, 3, 3], opts: { padding: 1, activation: 'relu' } },
  { name: '3x3 p1 C64 40x44 batch1 (Winograd: several tile blocks, each padding its own rows)', input: [1, 64, 40, 44], weight: [64, 64, 3, 3], opts: { padding: 1, activation: 'relu' } },
  { name: '3x3 stride 4 K>16 (two direct blocks)', input: [1, 4, 17, 17], weight: [35, 4, 3, 3], opts: { stride: 4, padding: 1 } },
];

function pairOf(v: number | readonly [number, number] | undefined, d: number): [number, number] {
  return v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** The reference's options for a case. */
export function refOptions(c: ConvCase): RefConvOptions {
  const dil = pairOf(c.opts.dilation, 1);
  let pad: [number, number, number, number];
  if (c.opts.padding === 'same') pad = samePad(c.weight[2], c.weight[3], dil);
  else if (c.opts.padding === 'valid') pad = [0, 0, 0, 0];
  else {
    const p = pairOf(c.opts.padding, 0);
    pad = [p[0], p[1], p[0], p[1]];
  }
  return { stride: pairOf(c.opts.stride, 1), pad, dilation: dil, groups: c.opts.groups ?? 1, relu: c.opts.activation === 'relu' };
}

export const tolerance: Record<string, number> = {
  direct: 1e-5, im2col: 1e-5, implicit_gemm: 1e-5, gemm_1x1: 1e-5, winograd_2x2_3x3: 1e-4, winograd_4x4_3x3: 5e-4,
  direct_nchwc: 1e-5,
};
