// The CUDA convolution registry's host side (dispatch/cuda_conv_registry.cc), which runs without a GPU: the list and
// its order, each entry's reasons and workspace sizes, the workspace limit, the 'auto' rules, find's
// unavailability error, and the errors for algorithms forced on the wrong device.
import { Tensor, F, convAlgorithms, chooseConvAlgorithm, findConvAlgorithm, ConvDescription, ConvAlgo } from '../../lib';
import { cuda } from '../../lib/runtime';

const CUDA_NAMES = ['direct', 'im2col', 'implicit_gemm', 'gemm_1x1', 'winograd_2x2_3x3', 'winograd_4x4_3x3', 'implicit_gemm_tc'];
const onCuda = (d: ConvDescription, limit?: number) =>
  Object.fromEntries(convAlgorithms(d, { device: 'cuda', workspaceLimit: limit }).map((a) => [a.name, a]));
const F32 = 4;
const MiB256 = 256 * 1024 * 1024;

// Awkward layer: N 3, C 5, 9×11, K 7, 3×3, padding 1 → output 9×11 (one chunk holds all 3 images).
const awkward: ConvDescription = { input: [3, 5, 9, 11], weight: [7, 5, 3, 3], padding: 1 };

describe('CUDA registry: list, reasons, workspace sizes', () => {
  test('lists the seven CUDA algorithms in order, also without a GPU', () => {
    expect(convAlgorithms(awkward, { device: 'cuda' }).map((a) => a.name)).toEqual(CUDA_NAMES);
    expect(convAlgorithms(awkward, { device: 'cuda:0' }).map((a) => a.name)).toEqual(CUDA_NAMES);
    expect(convAlgorithms(awkward, 'cuda').map((a) => a.name)).toEqual(CUDA_NAMES); // the device alone
    expect(convAlgorithms(awkward, 'cpu').map((a) => a.name)).toEqual(convAlgorithms(awkward).map((a) => a.name));
    // The CPU registry has the same first six names (implicit_gemm came to the CPU later), in the same order,
    // then its own direct_nchwc; implicit_gemm_tc (tensor cores) is CUDA's alone.
    expect(convAlgorithms(awkward).map((a) => a.name)).toEqual([...CUDA_NAMES.filter((n) => n !== 'implicit_gemm_tc'), 'direct_nchwc']);
  });

  test('3x3 stride 1: everything but gemm_1x1; workspace sizes from the layouts', () => {
    const a = onCuda(awkward);
    for (const n of ['direct', 'im2col', 'implicit_gemm', 'winograd_2x2_3x3', 'winograd_4x4_3x3']) expect(a[n].supported).toBe(true);
    expect(a.gemm_1x1).toMatchObject({ supported: false, reason: 'gemm_1x1 needs a 1x1 kernel, got 3x3', workspaceBytes: 0 });
    expect(a.direct.workspaceBytes).toBe(0);
    expect(a.implicit_gemm.workspaceBytes).toBe(0);
    // im2col: columns [C·R·S, OH·OW] per image, 3 images.
    expect(a.im2col.workspaceBytes).toBe(3 * 5 * 9 * (9 * 11) * F32);
    // Winograd: V [α², C, tiles] + M [α², K, tiles]; tiles per image ceil(9/m)·ceil(11/m).
    expect(a.winograd_2x2_3x3.workspaceBytes).toBe(16 * (5 + 7) * (5 * 6) * 3 * F32);
    expect(a.winograd_4x4_3x3.workspaceBytes).toBe(36 * (5 + 7) * (3 * 3) * 3 * F32);
  });

  test('1x1: gemm_1x1 in place at stride 1, a subsampled copy when strided, declined when padded', () => {
    const s1 = onCuda({ input: [3, 5, 9, 11], weight: [7, 5, 1, 1] });
    expect(s1.gemm_1x1).toMatchObject({ supported: true, workspaceBytes: 0 });
    const s2 = onCuda({ input: [3, 5, 9, 11], weight: [7, 5, 1, 1], stride: 2 });
    expect(s2.gemm_1x1).toMatchObject({ supported: true, workspaceBytes: 3 * 5 * (5 * 6) * F32 });
    const padded = onCuda({ input: [3, 5, 9, 11], weight: [7, 5, 1, 1], padding: 1 });
    expect(padded.gemm_1x1).toMatchObject({ supported: false, reason: 'gemm_1x1 needs padding 0' });
    expect(s1.winograd_2x2_3x3.reason).toBe('winograd_2x2_3x3 needs a 3x3 kernel, got 1x1');
  });

  test('Winograd declines stride, dilation and other kernels with the reason', () => {
    expect(onCuda({ ...awkward, stride: 2 }).winograd_4x4_3x3.reason).toBe('winograd_4x4_3x3 needs stride 1');
    expect(onCuda({ ...awkward, dilation: 2, padding: 2 }).winograd_2x2_3x3.reason).toBe('winograd_2x2_3x3 needs dilation 1');
    expect(onCuda({ input: [2, 3, 17, 17], weight: [4, 3, 5, 5] }).winograd_4x4_3x3.reason)
      .toBe('winograd_4x4_3x3 needs a 3x3 kernel, got 5x5');
  });

  test('groups and depthwise: every entry supports groups; direct, im2col, implicit_gemm run anything', () => {
    const dw = onCuda({ input: [3, 12, 9, 9], weight: [12, 1, 3, 3], padding: 1, groups: 12 });
    for (const n of CUDA_NAMES.filter((x) => x !== 'gemm_1x1' && x !== 'implicit_gemm_tc')) expect(dw[n].supported).toBe(true);
    // the tensor-core entry takes groups too, at a reduced precision
    expect(onCuda({ input: [3, 12, 9, 9], weight: [12, 1, 3, 3], padding: 1, groups: 12, precision: 'fp16' }).implicit_gemm_tc.supported).toBe(true);
    const odd = onCuda({ input: [2, 6, 13, 7], weight: [9, 2, 5, 3], stride: [2, 3], padding: [2, 1], dilation: [1, 2], groups: 3 });
    expect(odd.direct.supported && odd.im2col.supported && odd.implicit_gemm.supported).toBe(true);
  });

  test('large layers are chunked: im2col/Winograd workspace stays within 256 MiB and is whole images', () => {
    const vgg: ConvDescription = { input: [32, 64, 224, 224], weight: [64, 64, 3, 3], padding: 1 };
    const a = onCuda(vgg);
    const perImage = 64 * 9 * 224 * 224 * F32;
    expect(a.im2col.workspaceBytes).toBe(Math.floor(MiB256 / perImage) * perImage);
    const wino = 36 * 128 * (56 * 56) * F32;
    expect(a.winograd_4x4_3x3.workspaceBytes).toBe(Math.floor(MiB256 / wino) * wino);
    // One image larger than the target still runs: a chunk is at least one image.
    const huge = onCuda({ input: [2, 512, 512, 512], weight: [8, 512, 3, 3], padding: 1 });
    expect(huge.im2col.workspaceBytes).toBe(512 * 9 * 512 * 512 * F32);
  });
});

describe('CUDA workspace limit', () => {
  test('algorithms over the limit are unsupported with the limit in the reason', () => {
    const a = onCuda(awkward, 1000);
    expect(a.im2col).toMatchObject({
      supported: false, reason: 'im2col needs 53460 bytes of workspace, more than the limit of 1000 bytes', workspaceBytes: 53460,
    });
    expect(a.direct.supported && a.implicit_gemm.supported).toBe(true);
    expect(onCuda(awkward, 53460).im2col.supported).toBe(true);
  });
  test('forcing an algorithm over the limit is an error naming the limit; auto stays within it', () => {
    expect(() => chooseConvAlgorithm(awkward, 'winograd_2x2_3x3', { device: 'cuda', workspaceLimit: 1024 })).toThrow(
      "conv2d: algorithm 'winograd_2x2_3x3' cannot run this convolution on CUDA: winograd_2x2_3x3 needs 69120 bytes of workspace, more than the limit of 1024 bytes");
    const big: ConvDescription = { input: [1, 64, 56, 56], weight: [64, 64, 3, 3], padding: 1 };
    expect(chooseConvAlgorithm(big, 'auto', { device: 'cuda' })).toBe('winograd_4x4_3x3');
    expect(chooseConvAlgorithm(big, 'auto', { device: 'cuda', workspaceLimit: 0 })).toBe('implicit_gemm');
    const strided1x1: ConvDescription = { input: [2, 64, 28, 28], weight: [128, 64, 1, 1], stride: 2 };
    expect(chooseConvAlgorithm(strided1x1, 'auto', { device: 'cuda' })).toBe('gemm_1x1');
    expect(chooseConvAlgorithm(strided1x1, 'auto', { device: 'cuda', workspaceLimit: 0 })).toBe('implicit_gemm');
  });
  test('the limit must be a non-negative integer', () => {
    expect(() => convAlgorithms(awkward, { device: 'cuda', workspaceLimit: -1 }))
      .toThrow('convAlgorithms: workspaceLimit must be a non-negative number of bytes, got -1');
    expect(() => convAlgorithms(awkward, { device: 'cuda', workspaceLimit: 1.5 })).toThrow(/workspaceLimit must be an integer/);
  });
});

describe("CUDA 'auto' rules (from per-layer timings on an H200, bench/RESULTS-gpu.md)", () => {
  const pick = (input: number[], weight: number[], o: object = {}) => chooseConvAlgorithm({ input, weight, ...o }, 'auto', { device: 'cuda' });
  test('families', () => {
    expect(pick([1, 64, 56, 56], [256, 64, 1, 1])).toBe('gemm_1x1');
    expect(pick([1, 64, 56, 56], [64, 1, 3, 3], { padding: 1, groups: 64 })).toBe('direct');
    expect(pick([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 })).toBe('winograd_4x4_3x3');
    expect(pick([1, 512, 7, 7], [512, 512, 3, 3], { padding: 1 })).toBe('winograd_2x2_3x3');
    expect(pick([1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 })).toBe('implicit_gemm');
    expect(pick([1, 3, 224, 224], [64, 3, 11, 11], { stride: 4, padding: 2 })).toBe('implicit_gemm');
    expect(pick([1, 3, 224, 224], [64, 3, 3, 3], { padding: 1 })).toBe('implicit_gemm'); // 3 channels: no Winograd
    // Deep reductions (C·R·S >= 512) go to im2col, whose GEMM splits K; without workspace, implicit GEMM.
    expect(pick([1, 64, 56, 56], [128, 64, 3, 3], { stride: 2, padding: 1 })).toBe('im2col');
    expect(pick([1, 64, 27, 27], [192, 64, 5, 5], { padding: 2 })).toBe('im2col');
    expect(chooseConvAlgorithm({ input: [1, 64, 56, 56], weight: [128, 64, 3, 3], stride: 2, padding: 1 }, 'auto',
      { device: 'cuda', workspaceLimit: 0 })).toBe('implicit_gemm');
  });
  test('Winograd: from 16 input channels; F(4x4) from 128 output tiles of 4x4, else F(2x2)', () => {
    expect(pick([1, 16, 28, 28], [32, 16, 3, 3], { padding: 1 })).toBe('winograd_2x2_3x3'); // 49 tiles
    expect(pick([1, 8, 28, 28], [32, 8, 3, 3], { padding: 1 })).toBe('implicit_gemm');
    expect(pick([1, 512, 28, 28], [512, 512, 3, 3], { padding: 1 })).toBe('winograd_2x2_3x3'); // 49 tiles
    expect(pick([1, 128, 56, 56], [128, 128, 3, 3], { padding: 1 })).toBe('winograd_4x4_3x3'); // 196 tiles
    expect(pick([32, 192, 13, 13], [384, 192, 3, 3], { padding: 1 })).toBe('winograd_4x4_3x3'); // 512 tiles
    expect(pick([32, 160, 7, 7], [320, 160, 3, 3], { padding: 1 })).toBe('winograd_4x4_3x3'); // exactly 128
    expect(pick([31, 160, 7, 7], [320, 160, 3, 3], { padding: 1 })).toBe('winograd_2x2_3x3'); // 124
  });
  test('the choice is always supported within the limit', () => {
    const layers: ConvDescription[] = [
      awkward, { input: [2, 6, 13, 7], weight: [9, 2, 5, 3], stride: [2, 3], padding: [2, 1], dilation: [1, 2], groups: 3 },
      { input: [3, 32, 10, 10], weight: [32, 32, 3, 3], padding: 'same' }, { input: [1, 40, 9, 9], weight: [48, 40, 1, 1], stride: 2 },
      { input: [32, 64, 224, 224], weight: [64, 64, 3, 3], padding: 1 },
    ];
    for (const d of layers) {
      for (const limit of [undefined, 0, 4096]) {
        const name = chooseConvAlgorithm(d, 'auto', { device: 'cuda', workspaceLimit: limit });
        expect(onCuda(d, limit)[name].supported).toBe(true);
      }
    }
  });
});

describe('CUDA errors', () => {
  test('an unknown CUDA name lists the CUDA names; an unsupported one gives its reason', () => {
    expect(() => chooseConvAlgorithm(awkward, 'fft' as ConvAlgo, { device: 'cuda' })).toThrow(
      "conv2d: unknown CUDA algorithm 'fft' (expected 'auto', 'find' or one of: direct, im2col, implicit_gemm, gemm_1x1, winograd_2x2_3x3, winograd_4x4_3x3, implicit_gemm_tc)");
    expect(() => chooseConvAlgorithm({ ...awkward, stride: 2 }, 'winograd_4x4_3x3', { device: 'cuda' }))
      .toThrow("conv2d: algorithm 'winograd_4x4_3x3' cannot run this convolution on CUDA: winograd_4x4_3x3 needs stride 1");
  });
  test('a bad device name is an error', () => {
    expect(() => convAlgorithms(awkward, { device: 'tpu' })).toThrow(/tpu/);
  });
  (cuda.isAvailable() ? test.skip : test)('without CUDA, find on cuda throws why it is unavailable', () => {
    const reason = cuda.unavailableReason();
    expect(reason).not.toBe('');
    expect(() => findConvAlgorithm(awkward, { device: 'cuda' })).toThrow(`findConvAlgorithm: CUDA is not available: ${reason}`);
    expect(() => chooseConvAlgorithm(awkward, 'find', { device: 'cuda' })).toThrow(`findConvAlgorithm: CUDA is not available: ${reason}`);
    expect(() => Tensor.rand([1, 2, 3, 3]).to('cuda')).toThrow();
  });
  (cuda.isAvailable() ? test : test.skip)('with CUDA, find times every supported algorithm within the limit, fastest first', () => {
    const r = findConvAlgorithm(awkward, { device: 'cuda', workspaceLimit: 60000 });
    expect(r.map((t) => t.algo).sort()).toEqual(['direct', 'im2col', 'implicit_gemm', 'winograd_4x4_3x3'].sort());
    for (let i = 1; i < r.length; i++) expect(r[i].timeMs).toBeGreaterThanOrEqual(r[i - 1].timeMs);
    expect(chooseConvAlgorithm(awkward, 'find', { device: 'cuda', workspaceLimit: 60000 })).toBe(r[0].algo);
  });
});
