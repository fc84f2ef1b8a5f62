// Float64 reference convolution and GEMM: the definitions in plain loops (groups, dilation, asymmetric
// 'same' padding included). Slow on purpose: nothing clever to get wrong.

export interface RefConvOptions {
  stride?: [number, number];
  /** [top, left, bottom, right] */
  pad?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
  relu?: boolean;
}

export interface RefTensor {
  shape: number[];
  data: Float64Array;
}

/** torch's 'same' padding split: total = d·(k−1), the smaller half top/left. */
export function samePad(r: number, s: number, dil: [number, number] = [1, 1]): [number, number, number, number] {
  const th = dil[0] * (r - 1);
  const tw = dil[1] * (s - 1);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

export function refConv2d(x: ArrayLike<number>, xs: number[], w: ArrayLike<number>, ws: number[], bias: ArrayLike<number> | null,
  o: RefConvOptions = {}): RefTensor {
  const [N, C, H, W] = xs;
  const [K, Cg, R, S] = ws;
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, pl, pb, pr] = o.pad ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const G = o.groups ?? 1;
  const Kg = K / G;
  if (Cg * G !== C) throw new Error('refConv2d: channel mismatch');
  const OH = Math.floor((H + pt + pb - dh * (R - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (S - 1) - 1) / sw) + 1;
  const out = new Float64Array(N * K * OH * OW);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const g = Math.floor(k / Kg);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = bias ? bias[k] : 0;
          for (let c = 0; c < Cg; c++)
            for (let r = 0; r < R; r++) {
              const ih = oh * sh - pt + r * dh;
              if (ih < 0 || ih >= H) continue;
              for (let s = 0; s < S; s++) {
                const iw = ow * sw - pl + s * dw;
                if (iw < 0 || iw >= W) continue;
                acc += x[((n * C + g * Cg + c) * H + ih) * W + iw] * w[((k * Cg + c) * R + r) * S + s];
              }
            }
          out[((n * K + k) * OH + oh) * OW + ow] = o.relu && acc < 0 ? 0 : acc;
        }
    }
  return { shape: [N, K, OH, OW], data: out };
}

/** C[M, N] = A[M, K]·B[K, N] (+ bias per column) (ReLU), float64. */
export function refMatmul(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number,
  colBias: ArrayLike<number> | null = null, relu = false): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let acc = colBias ? colBias[j] : 0;
      for (let k = 0; k < K; k++) acc += a[i * K + k] * b[k * N + j];
      out[i * N + j] = relu && acc < 0 ? 0 : acc;
    }
  return out;
}

/** Row-major transpose of an [R, C] matrix. */
export function transpose(a: ArrayLike<number>, R: number, C: number): Float64Array {
  const t = new Float64Array(R * C);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) t[j * R + i] = a[i * C + j];
  return t;
}
