// Float64 references for the layer ops, written straight from torch's definitions (one output element at
// a time, no cleverness), so they can judge the native kernels. Tensors are { shape, data } in NCHW.
export interface Ref {
  shape: number[];
  data: Float64Array;
}

export function ref(shape: number[], data: ArrayLike<number>): Ref {
  return { shape, data: Float64Array.from(data) };
}

/** torch.nn.functional pooling output size (incl. the ceil-mode rule), written independently of lib/signal. */
export function poolOut(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // The last window must start inside the input or the left padding.
  if (ceil && (out - 1) * s >= n + p) out -= 1;
  return out;
}

type P2 = [number, number];

export function maxPool2d(x: Ref, k: P2, s: P2, p: P2, d: P2, ceil: boolean): Ref {
  const [N, C, H, W] = x.shape;
  const OH = poolOut(H, k[0], s[0], p[0], d[0], ceil);
  const OW = poolOut(W, k[1], s[1], p[1], d[1], ceil);
  const out = new Float64Array(N * C * OH * OW);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let m = -Infinity;
        let nan = false;
        for (let i = 0; i < k[0]; i++) {
          for (let j = 0; j < k[1]; j++) {
            const h = oh * s[0] - p[0] + i * d[0];
            const w = ow * s[1] - p[1] + j * d[1];
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            const v = x.data[(nc * H + h) * W + w];
            if (Number.isNaN(v)) nan = true;
            m = Math.max(m, v);
          }
        }
        out[o++] = nan ? NaN : m;
      }
    }
  }
  return { shape: [N, C, OH, OW], data: out };
}

export function avgPool2d(x: Ref, k: P2, s: P2, p: P2, ceil: boolean, countIncludePad: boolean): Ref {
  const [N, C, H, W] = x.shape;
  const OH = poolOut(H, k[0], s[0], p[0], 1, ceil);
  const OW = poolOut(W, k[1], s[1], p[1], 1, ceil);
  const out = new Float64Array(N * C * OH * OW);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let sum = 0;
        let inside = 0; // window elements inside the input
        let padded = 0; // window elements inside the padded input [-p, n + p)
        for (let i = 0; i < k[0]; i++) {
          for (let j = 0; j < k[1]; j++) {
            const h = oh * s[0] - p[0] + i;
            const w = ow * s[1] - p[1] + j;
            if (h < H + p[0] && w < W + p[1]) padded++;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            inside++;
            sum += x.data[(nc * H + h) * W + w];
          }
        }
        out[o++] = inside === 0 ? 0 : sum / (countIncludePad ? padded : inside);
      }
    }
  }
  return { shape: [N, C, OH, OW], data: out };
}

export function adaptiveAvgPool2d(x: Ref, oh: number, ow: number): Ref {
  const [N, C, H, W] = x.shape;
  const out = new Float64Array(N * C * oh * ow);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    for (let i = 0; i < oh; i++) {
      const h0 = Math.floor((i * H) / oh);
      const h1 = Math.ceil(((i + 1) * H) / oh);
      for (let j = 0; j < ow; j++) {
        const w0 = Math.floor((j * W) / ow);
        const w1 = Math.ceil(((j + 1) * W) / ow);
        let sum = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) sum += x.data[(nc * H + h) * W + w];
        out[o++] = sum / ((h1 - h0) * (w1 - w0));
      }
    }
  }
  return { shape: [N, C, oh, ow], data: out };
}

export function localResponseNorm(x: Ref, size: number, alpha: number, beta: number, k: number): Ref {
  const [N, C] = x.shape;
  const inner = x.data.length / (N * C);
  const out = new Float64Array(x.data.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < inner; i++) {
        let sq = 0;
        for (let cc = c - Math.floor(size / 2); cc <= c + Math.floor((size - 1) / 2); cc++) {
          if (cc < 0 || cc >= C) continue;
          const v = x.data[(n * C + cc) * inner + i];
          sq += v * v;
        }
        const a = x.data[(n * C + c) * inner + i];
        out[(n * C + c) * inner + i] = a / Math.pow(k + (alpha / size) * sq, beta);
      }
    }
  }
  return { shape: x.shape.slice(), data: out };
}

export function batchNorm(x: Ref, mean: ArrayLike<number>, vr: ArrayLike<number>, weight: ArrayLike<number> | null,
  bias: ArrayLike<number> | null, eps: number, relu: boolean): Ref {
  const [N, C] = x.shape;
  const inner = x.data.length / (N * C);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const c = Math.floor(i / inner) % C;
    const v = ((x.data[i] - mean[c]) / Math.sqrt(vr[c] + eps)) * (weight ? weight[c] : 1) + (bias ? bias[c] : 0);
    out[i] = relu ? Math.max(v, 0) : v;
  }
  return { shape: x.shape.slice(), data: out };
}

/** (outer, D, inner) view of `shape` around dimension `dim` (may be negative). */
function around(shape: number[], dim: number): [number, number, number] {
  const d = dim < 0 ? dim + shape.length : dim;
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  return [outer, shape[d], inner];
}

export function softmax(x: Ref, dim: number, log = false): Ref {
  const [outer, D, inner] = around(x.shape, dim);
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (d: number) => (o * D + d) * inner + i;
      let m = -Infinity;
      for (let d = 0; d < D; d++) m = Math.max(m, x.data[at(d)]);
      let sum = 0;
      for (let d = 0; d < D; d++) sum += Math.exp(x.data[at(d)] - m);
      for (let d = 0; d < D; d++) out[at(d)] = log ? x.data[at(d)] - m - Math.log(sum) : Math.exp(x.data[at(d)] - m) / sum;
    }
  }
  return { shape: x.shape.slice(), data: out };
}

export function cat(xs: Ref[], dim: number): Ref {
  const rank = xs[0].shape.length;
  const d = dim < 0 ? dim + rank : dim;
  const shape = xs[0].shape.slice();
  shape[d] = xs.reduce((a, x) => a + x.shape[d], 0);
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  // Walk every output index and find which input it comes from.
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  for (let idx = 0; idx < out.length; idx++) {
    const o = Math.floor(idx / (shape[d] * inner));
    let along = Math.floor(idx / inner) % shape[d];
    const i = idx % inner;
    let t = 0;
    while (along >= xs[t].shape[d]) along -= xs[t++].shape[d];
    out[idx] = xs[t].data[(o * xs[t].shape[d] + along) * inner + i];
  }
  return { shape, data: out };
}
