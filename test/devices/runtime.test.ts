// The CUDA runtime around the kernels: availability and its errors, the build's dynamic dependencies,
// loading without a GPU, device memory accounting, out-of-memory. GPU-only checks are skipped (with the
// reason) where no GPU is present; the no-GPU behaviour is checked everywhere (a child process with
// CUDA_VISIBLE_DEVICES='' sees no device even on a GPU machine).
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Tensor, memory, emptyCache, cuda, F } from '../../lib';
import { native } from '../../lib/native';

const root = path.join(__dirname, '..', '..');
const available = cuda.isAvailable();
const gpuOnly = available ? describe : describe.skip;
const noGpuTitle = available ? 'CUDA runtime on a GPU' : `CUDA runtime on a GPU — skipped: ${cuda.unavailableReason()}`;

function hasReadelf(): boolean {
  return spawnSync('readelf', ['--version']).status === 0;
}

describe('the addon without a GPU', () => {
  test('unavailability is reported with its reason and every CUDA entry throws it', () => {
    if (available) {
      // With a GPU: the same entries fail for a device that does not exist.
      expect(() => Tensor.zeros([2]).to(`cuda:${cuda.deviceCount()}` as 'cuda')).toThrow(/does not exist/);
      expect(() => cuda.deviceInfo(cuda.deviceCount())).toThrow(/out of range/);
      return;
    }
    const reason = cuda.unavailableReason();
    expect(reason.length).toBeGreaterThan(10);
    expect(cuda.deviceCount()).toBe(0);
    expect(memory().cuda).toEqual([]);
    const escaped = reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(() => Tensor.zeros([2]).to('cuda')).toThrow(new RegExp(`to: CUDA is not available: ${escaped}`));
    expect(() => Tensor.zeros([2]).to('cuda:1')).toThrow(/CUDA is not available/);
    expect(() => Tensor.from([1, 2], [2], { device: 'cuda' })).toThrow(/Tensor.from: CUDA is not available/);
    expect(() => Tensor.zeros([2], { device: 'cuda' })).toThrow(/Tensor.zeros: CUDA is not available/);
    expect(() => cuda.deviceInfo(0)).toThrow(/cuda.deviceInfo: CUDA is not available/);
    expect(() => cuda.synchronize()).toThrow(/CUDA is not available/);
    expect(() => native.cudaInjectFault('cuda')).toThrow(/cudaInjectFault: CUDA is not available/);
  });

  test('the .node needs no CUDA library (static runtime; the driver is opened at run time)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const file = (require('node-gyp-build') as { path(dir: string): string }).path(root);
    if (!hasReadelf()) throw new Error('readelf (binutils) is needed for this test');
    const out = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
    const needed = [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(needed.length).toBeGreaterThan(0);
    expect(needed).toContain('libc.so.6');
    for (const lib of needed) expect(lib).not.toMatch(/cudart|cublas|cudnn|libcuda|nvrtc|libstdc\+\+/);
  });

  test('loads in a child process with CONVNETS_ISA=generic and no visible GPU, and reports CUDA unavailable', () => {
    const script = `
      const b = require('node-gyp-build')(${JSON.stringify(root)});
      const a = b.cudaAvailability();
      let toCuda = '';
      try { b.zeros([2], 'cuda'); } catch (e) { toCuda = String(e.message); }
      const y = b.relu(b.fromArray(new Float32Array([-1, 2, -3, 4]), [4]));
      console.log(JSON.stringify({ isa: b.cpuInfo().active, a, count: b.cudaDeviceCount(), toCuda, relu: Array.from(y.data()) }));`;
    const r = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, CONVNETS_ISA: 'generic', CUDA_VISIBLE_DEVICES: '' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout.trim());
    expect(o.isa).toBe('generic');
    expect(o.a.available).toBe(false);
    // the build's reason: no driver library, driver too old, no device (CUDA_VISIBLE_DEVICES), or built without CUDA
    expect(o.a.reason).toMatch(/CUDA|nvcc|NVIDIA driver/);
    expect(o.count).toBe(0);
    expect(o.toCuda).toMatch(/^Tensor.zeros: CUDA is not available: /);
    expect(o.relu).toEqual([0, 2, 0, 4]);
  });
});

gpuOnly(noGpuTitle, () => {
  test('deviceInfo describes every device', () => {
    for (let i = 0; i < cuda.deviceCount(); i++) {
      const info = cuda.deviceInfo(i);
      expect(info.name.length).toBeGreaterThan(0);
      expect(info.computeCapability).toMatch(/^\d+\.\d+$/);
      expect(info.totalMemory).toBeGreaterThan(2 ** 28);
      expect(info.multiProcessors).toBeGreaterThan(0);
    }
  });

  test('copies round-trip exactly; zeros are zeros; device memory is counted and cached', () => {
    emptyCache();
    const before = memory().cuda[0];
    const src = Tensor.rand([3, 1001], { seed: 11, low: -5, high: 5 });
    const d = src.to('cuda');
    expect(d.device).toBe('cuda:0');
    expect(Array.from(d.data())).toEqual(Array.from(src.data()));
    const back = d.to('cpu');
    expect(Array.from(back.data())).toEqual(Array.from(src.data()));
    const z = Tensor.zeros([7, 13], { device: 'cuda' });
    expect(Array.from(z.data()).every((v) => v === 0)).toBe(true);
    const mid = memory().cuda[0];
    expect(mid.tensors).toBe(before.tensors + 2);
    expect(mid.bytes).toBe(before.bytes + (3 * 1001 + 7 * 13) * 4);
    d.dispose();
    z.dispose();
    const after = memory().cuda[0];
    expect(after.tensors).toBe(before.tensors);
    expect(after.cachedBytes).toBeGreaterThanOrEqual((3 * 1001 + 7 * 13) * 4);
    emptyCache();
    expect(memory().cuda[0].cachedBytes).toBe(0);
  });

  test('out of memory is a JS Error naming the CUDA error, and the device still works afterwards', () => {
    expect(() => Tensor.zeros([2 ** 20, 2 ** 20], { device: 'cuda' })).toThrow(/out of memory on cuda:0.*cudaErrorMemoryAllocation/);
    const x = Tensor.from([1, -2, 3], [3], { device: 'cuda' });
    expect(Array.from(x.data())).toEqual([1, -2, 3]);
    x.dispose();
  });

  test('an op on tensors of two devices is an error; a CPU-only conv algorithm is refused with the reason', () => {
    const a = Tensor.zeros([4], { device: 'cuda' });
    const b = Tensor.zeros([4]);
    expect(() => F.add(a, b)).toThrow(/add: operands are on different devices: cuda:0 and cpu/);
    const x = Tensor.rand([1, 3, 8, 8], { seed: 1, device: 'cuda' });
    const w = Tensor.rand([4, 3, 3, 3], { seed: 2, device: 'cuda' });
    // The CUDA registry (dispatch/cuda_conv_registry.h) refuses an algorithm that cannot run the shape, with the reason.
    expect(() => F.conv2d(x, w, null, { algo: 'winograd_4x4_3x3', stride: 2 }))
      .toThrow("conv2d: algorithm 'winograd_4x4_3x3' cannot run this convolution on CUDA: winograd_4x4_3x3 needs stride 1");
    expect(() => F.conv2d(x, w.to('cpu'))).toThrow(/conv2d: input is on cuda:0 but weight is on cpu/);
  });

  test('a kernel fault (sticky error) is reported clearly, in a child process that then exits normally', () => {
    const script = `
      const b = require('node-gyp-build')(${JSON.stringify(root)});
      const t = b.fromArray(new Float32Array([1, 2, 3]), [3], 'cuda');
      b.cudaInjectFault('cuda');
      const msgs = [];
      for (const f of [() => t.data(), () => b.relu(t).data(), () => b.cudaSynchronize('cuda')]) {
        try { f(); msgs.push('no error'); } catch (e) { msgs.push(String(e.message)); }
      }
      console.log(JSON.stringify(msgs));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
    expect(r.status).toBe(0);
    const msgs: string[] = JSON.parse(r.stdout.trim());
    expect(msgs).toHaveLength(3);
    for (const m of msgs) expect(m).toMatch(/failed: cudaError\w+ .*sticky CUDA error.*restart the process/);
  });
});
