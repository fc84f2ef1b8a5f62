// Winograd F(m×m, 3×3) on CUDA (conv_kernels.h), m = 2 (α = 4) and m = 4 (α = 6), Lavin & Gray; the same
// transforms as the CPU files (cpu/conv_winograd_2x2_3x3.cc, cpu/conv_winograd_4x4_3x3.cc):
//   weights, once per layer:   U[e, k, c] = (G g_kc Gᵀ)[e]                       (winogradWeightKernel)
//   per chunk of images:       V[e, c, t] = (Bᵀ d_ct B)[e], d = α×α input patch  (winogradInputKernel)
//                              M[e, g·Kg.., t] = U[e, g] (Kg × Cg) · V[e, g·Cg.., t]  (α² batched sgemms per group)
//                              y tile = Aᵀ M[:, k, t] A + bias[k], ReLU          (winogradOutputKernel)
// Output tile t = (image, th, tw) covers outputs [th·m, th·m + m) × [tw·m, tw·m + m) and reads the patch
// starting at (th·m - padTop, tw·m - padLeft), zero outside the input; partial edge tiles are computed
// whole and only their in-range outputs written. Each transform applies its matrix to the columns of the
// tile, then to the rows (1-D helpers below, written out as in the CPU files).
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

template <int M>
struct Wino;

template <>
struct Wino<2> {
  static constexpr int A = 4;
  // G (4×3):
  //   [  1     0     0   ]
  //   [ 1/2   1/2   1/2  ]
  //   [ 1/2  -1/2   1/2  ]
  //   [  0     0     1   ]
  // U = G g Gᵀ.
  __device__ static void weight1d(const float* g, int st, float* u, int su) {
    u[0] = g[0];
    u[su] = (g[0] + g[st] + g[2 * st]) * 0.5f;
    u[2 * su] = (g[0] - g[st] + g[2 * st]) * 0.5f;
    u[3 * su] = g[2 * st];
  }
  // Bᵀ (4×4):
  //   [ 1   0  -1   0 ]
  //   [ 0   1   1   0 ]
  //   [ 0  -1   1   0 ]
  //   [ 0   1   0  -1 ]
  // V = Bᵀ d B.
  __device__ static void input1d(const float* d, int sd, float* v, int sv) {
    v[0] = d[0] - d[2 * sd];
    v[sv] = d[sd] + d[2 * sd];
    v[2 * sv] = d[2 * sd] - d[sd];
    v[3 * sv] = d[sd] - d[3 * sd];
  }
  // Aᵀ (2×4):
  //   [ 1   1   1   0 ]
  //   [ 0   1  -1  -1 ]
  // Y = Aᵀ M A.
  __device__ static void output1d(const float* mm, int sm, float* o, int so) {
    o[0] = mm[0] + mm[sm] + mm[2 * sm];
    o[so] = mm[sm] - mm[2 * sm] - mm[3 * sm];
  }
};

template <>
struct Wino<4> {
  static constexpr int A = 6;
  // G (6×3):
  //   [  1/4     0     0   ]
  //   [ -1/6  -1/6  -1/6   ]
  //   [ -1/6   1/6  -1/6   ]
  //   [  1/24  1/12  1/6   ]
  //   [  1/24 -1/12  1/6   ]
  //   [   0     0     1    ]
  // U = G g Gᵀ.
  __device__ static void weight1d(const float* g, int st, float* u, int su) {
    u[0] = g[0] * (1.0f / 4);
    u[su] = (g[0] + g[st] + g[2 * st]) * (-1.0f / 6);
    u[2 * su] = (g[0] - g[st] + g[2 * st]) * (-1.0f / 6);
    u[3 * su] = g[0] * (1.0f / 24) + g[st] * (1.0f / 12) + g[2 * st] * (1.0f / 6);
    u[4 * su] = g[0] * (1.0f / 24) - g[st] * (1.0f / 12) + g[2 * st] * (1.0f / 6);
    u[5 * su] = g[2 * st];
  }
  // Bᵀ (6×6):
  //   [ 4   0  -5   0   1   0 ]
  //   [ 0  -4  -4   1   1   0 ]
  //   [ 0   4  -4  -1   1   0 ]
  //   [ 0  -2  -1   2   1   0 ]
  //   [ 0   2  -1  -2   1   0 ]
  //   [ 0   4   0  -5   0   1 ]
  // V = Bᵀ d B.
  __device__ static void input1d(const float* d, int sd, float* v, int sv) {
    const float d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd], d4 = d[4 * sd], d5 = d[5 * sd];
    v[0] = 4.0f * d0 - 5.0f * d2 + d4;
    v[sv] = -4.0f * (d1 + d2) + d3 + d4;
    v[2 * sv] = 4.0f * (d1 - d2) - d3 + d4;
    v[3 * sv] = 2.0f * (d3 - d1) - d2 + d4;
    v[4 * sv] = 2.0f * (d1 - d3) - d2 + d4;
    v[5 * sv] = 4.0f * d1 - 5.0f * d3 + d5;
  }
  // Aᵀ (4×6):
  //   [ 1   1   1   1   1   0 ]
  //   [ 0   1  -1   2  -2   0 ]
  //   [ 0   1   1   4   4   0 ]
  //   [ 0   1  -1   8  -8   1 ]
  // Y = Aᵀ M A.
  __device__ static void output1d(const float* mm, int sm, float* o, int so) {
    const float a = mm[sm] + mm[2 * sm], b = mm[sm] - mm[2 * sm];
    const float c = mm[3 * sm] + mm[4 * sm], e = mm[3 * sm] - mm[4 * sm];
    o[0] = mm[0] + a + c;
    o[so] = b + 2.0f * e;
    o[2 * so] = a + 4.0f * c;
    o[3 * so] = b + 8.0f * e + mm[5 * sm];
  }
};

// One thread per (k, c): U[e, k, c] for the α² elements e (consecutive threads → consecutive c: coalesced).
template <int M>
__global__ void winogradWeightKernel(const float* __restrict__ w, float* __restrict__ u, int64_t K, int64_t Cg) {
  constexpr int A = Wino<M>::A;
  const int64_t total = K * Cg, step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    float g[9], t[A * 3], uu[A * A];
#pragma unroll
    for (int j = 0; j < 9; ++j) g[j] = w[i * 9 + j];
#pragma unroll
    for (int j = 0; j < 3; ++j) Wino<M>::weight1d(g + j, 3, t + j, 3);  // columns: t = G g (α×3)
#pragma unroll
    for (int r = 0; r < A; ++r) Wino<M>::weight1d(t + r * 3, 1, uu + r * A, 1);  // rows: u = t Gᵀ (α×α)
#pragma unroll
    for (int e = 0; e < A * A; ++e) u[e * total + i] = uu[e];
  }
}

// One thread per (image of the chunk, channel, tile): V[e, c, t], t = img·tilesPerImage + th·tilesW + tw.
template <int M>
__global__ void winogradInputKernel(const float* __restrict__ x, float* __restrict__ v, Conv2d p, int64_t n0,
                                    int64_t nb, int64_t tilesW, int64_t tilesPerImage) {
  constexpr int A = Wino<M>::A;
  const int64_t tiles = nb * tilesPerImage, total = p.C * tiles, step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t t = i % tiles, c = i / tiles;
    const int64_t img = t / tilesPerImage, tt = t % tilesPerImage;
    const int64_t h0 = (tt / tilesW) * M - p.padTop, w0 = (tt % tilesW) * M - p.padLeft;
    const float* xc = x + ((n0 + img) * p.C + c) * p.H * p.W;
    float d[A * A], tmp[A * A], vv[A * A];
#pragma unroll
    for (int r = 0; r < A; ++r) {
      const int64_t h = h0 + r;
      const bool rowOk = h >= 0 && h < p.H;
#pragma unroll
      for (int s = 0; s < A; ++s) {
        const int64_t ww = w0 + s;
        d[r * A + s] = (rowOk && ww >= 0 && ww < p.W) ? xc[h * p.W + ww] : 0.0f;
      }
    }
#pragma unroll
    for (int j = 0; j < A; ++j) Wino<M>::input1d(d + j, A, tmp + j, A);  // columns: Bᵀ d
#pragma unroll
    for (int r = 0; r < A; ++r) Wino<M>::input1d(tmp + r * A, 1, vv + r * A, 1);  // rows: (Bᵀ d) B
#pragma unroll
    for (int e = 0; e < A * A; ++e) v[(e * p.C + c) * tiles + t] = vv[e];
  }
}

// One thread per (output channel, tile): Aᵀ M A + bias, ReLU, in-range outputs only.
template <int M>
__global__ void winogradOutputKernel(const float* __restrict__ mm, const float* __restrict__ bias,
                                     float* __restrict__ y, Conv2d p, bool relu, int64_t n0, int64_t nb,
                                     int64_t tilesW, int64_t tilesPerImage) {
  constexpr int A = Wino<M>::A;
  const int64_t tiles = nb * tilesPerImage, total = p.K * tiles, step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t t = i % tiles, k = i / tiles;
    const int64_t img = t / tilesPerImage, tt = t % tilesPerImage;
    const int64_t oh0 = (tt / tilesW) * M, ow0 = (tt % tilesW) * M;
    float m[A * A], tmp[M * A], o[M * M];
#pragma unroll
    for (int e = 0; e < A * A; ++e) m[e] = mm[(e * p.K + k) * tiles + t];
#pragma unroll
    for (int j = 0; j < A; ++j) Wino<M>::output1d(m + j, A, tmp + j, A);  // columns: Aᵀ M (m×α)
#pragma unroll
    for (int r = 0; r < M; ++r) Wino<M>::output1d(tmp + r * A, 1, o + r * M, 1);  // rows: (Aᵀ M) A (m×m)
    const float b = bias ? bias[k] : 0.0f;
    float* yk = y + ((n0 + img) * p.K + k) * p.OH * p.OW;
#pragma unroll
    for (int r = 0; r < M; ++r) {
      if (oh0 + r >= p.OH) break;
#pragma unroll
      for (int s = 0; s < M; ++s) {
        if (ow0 + s >= p.OW) break;
        const float v = o[r * M + s] + b;
        yk[(oh0 + r) * p.OW + ow0 + s] = relu ? reluf(v) : v;
      }
    }
  }
}

}  // namespace

// The host side of one run: per chunk of images, input transform → α² GEMMs per group → output transform.
template <int M>
static void runWinograd(const float* x, const float* u, const float* bias, float* y, const Conv2d& p, bool relu, float* ws,
                 int64_t imagesPerChunk, cudaStream_t s) {
  constexpr int A = Wino<M>::A;
  const int64_t Cg = p.C / p.groups, Kg = p.K / p.groups;
  const int64_t tilesW = (p.OW + M - 1) / M, tilesPerImage = ((p.OH + M - 1) / M) * tilesW;
  for (int64_t n0 = 0; n0 < p.N; n0 += imagesPerChunk) {
    const int64_t nb = p.N - n0 < imagesPerChunk ? p.N - n0 : imagesPerChunk;
    const int64_t tiles = nb * tilesPerImage;
    float* v = ws;                              // [α², C, tiles]
    float* mm = ws + int64_t(A) * A * p.C * tiles;  // [α², K, tiles]
    winogradInputKernel<M><<<gridFor(p.C * tiles), kThreads, 0, s>>>(x, v, p, n0, nb, tilesW, tilesPerImage);
    CN_CUDA_LAUNCH();
    GroupedGemm gg;  // batch = the α² elements
    gg.groups = p.groups;
    gg.Kg = Kg;
    gg.cols = tiles;
    gg.depth = Cg;
    gg.batch = int64_t(A) * A;
    gg.A = u;
    gg.groupStrideA = Kg * Cg;
    gg.strideA = p.K * Cg;
    gg.B = v;
    gg.ldb = tiles;
    gg.groupStrideB = Cg * tiles;
    gg.strideB = p.C * tiles;
    gg.C = mm;
    gg.ldc = tiles;
    gg.groupStrideC = Kg * tiles;
    gg.strideC = p.K * tiles;
    groupedGemm(gg, s);
    winogradOutputKernel<M><<<gridFor(p.K * tiles), kThreads, 0, s>>>(mm, bias, y, p, relu, n0, nb, tilesW,
                                                                      tilesPerImage);
    CN_CUDA_LAUNCH();
  }
}

void winogradWeights(const float* w, float* u, int64_t K, int64_t Cg, int m, cudaStream_t s) {
  CN_CHECK(m == 2 || m == 4, "winograd: output tile must be 2 or 4, got ", m);
  if (K * Cg <= 0) return;
  if (m == 2) winogradWeightKernel<2><<<gridFor(K * Cg), kThreads, 0, s>>>(w, u, K, Cg);
  else winogradWeightKernel<4><<<gridFor(K * Cg), kThreads, 0, s>>>(w, u, K, Cg);
  CN_CUDA_LAUNCH();
}

void conv2dWinograd(const float* x, const float* u, const float* bias, float* y, const Conv2d& p, bool relu, int m,
                    float* ws, int64_t imagesPerChunk, cudaStream_t s) {
  CN_CHECK(m == 2 || m == 4, "winograd: output tile must be 2 or 4, got ", m);
  CN_CHECK(p.R == 3 && p.S == 3 && p.strideH == 1 && p.strideW == 1 && p.dilH == 1 && p.dilW == 1,
           "conv2d (winograd): needs a 3x3 kernel, stride 1, dilation 1");
  CN_CHECK(ws != nullptr && imagesPerChunk >= 1, "conv2d (winograd): no workspace");
  if (p.N * p.K * p.OH * p.OW <= 0) return;
  if (m == 2) runWinograd<2>(x, u, bias, y, p, relu, ws, imagesPerChunk, s);
  else runWinograd<4>(x, u, bias, y, p, relu, ws, imagesPerChunk, s);
}

}  // namespace convnets::cuda
