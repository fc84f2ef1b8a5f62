// cuda.unavailableReason() says what is actually wrong: no driver library, a driver too old (with both
// versions), no device, or a build without CUDA (and why: CONVNETS_CUDA=0 or no nvcc at build time).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cuda } from '../../lib';
import { native } from '../../lib/native';

const explain = native.cudaExplainForTest;

test('the wording for each probe outcome', () => {
  expect(explain({ driverLibraryFound: false })).toBe('no NVIDIA driver (libcuda.so.1 not found)');
  expect(explain({ driverLibraryFound: true, error: 'insufficientDriver', driverVersion: 12020, runtimeVersion: 13000 })).toBe(
    'the NVIDIA driver is too old: it supports CUDA 12.2, this build of convnets needs CUDA 13.0 or newer (update the driver)');
  expect(explain({ driverLibraryFound: true, error: 'insufficientDriver', driverVersion: 0, runtimeVersion: 13010 })).toBe(
    'the NVIDIA driver is too old: it supports CUDA (version unknown), this build of convnets needs CUDA 13.1 or newer (update the driver)');
  expect(explain({ driverLibraryFound: true, error: 'noDevice' })).toBe('no CUDA device found');
  expect(explain({ driverLibraryFound: true, error: 'noDevice', visibleDevices: '' })).toBe("no CUDA device found (CUDA_VISIBLE_DEVICES='' hides the others)");
  expect(explain({ driverLibraryFound: true, deviceCount: 0 })).toBe('no CUDA device found');
  expect(explain({ driverLibraryFound: true, error: 'other', errorText: 'cudaErrorOperatingSystem: OS call failed' })).toBe(
    'the CUDA driver failed to initialise (cudaErrorOperatingSystem: OS call failed)');
  expect(explain({ driverLibraryFound: true, deviceCount: 2 })).toBe('');
});

function driverLibraryPresent(): boolean {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  if (r.status === 0 && /libcuda\.so\.1\b/.test(r.stdout)) return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'];
  return dirs.some((d) => d && fs.existsSync(path.join(d, 'libcuda.so.1')));
}

test("this machine's reason is the accurate one", () => {
  if (cuda.isAvailable()) {
    expect(cuda.unavailableReason()).toBe('');
    return;
  }
  const reason = cuda.unavailableReason();
  if (!cuda.compiled()) {
    // CMakeLists.txt records why the build has no CUDA
    expect(reason).toMatch(/^convnets was built without CUDA support \((CONVNETS_CUDA=0 was set|no CUDA compiler \(nvcc\) was found) when the addon was compiled\)$/);
    return;
  }
  if (!driverLibraryPresent()) expect(reason).toBe('no NVIDIA driver (libcuda.so.1 not found)');
  else expect(reason).toMatch(/^(the NVIDIA driver is too old|no CUDA device found|the CUDA driver failed)/);
});

test('with a driver but no visible device (CUDA_VISIBLE_DEVICES=""), the reason says so', () => {
  const root = path.join(__dirname, '..', '..');
  const r = spawnSync(process.execPath, ['-e', `console.log(require('node-gyp-build')(${JSON.stringify(root)}).cudaAvailability().reason)`],
    { env: { ...process.env, CUDA_VISIBLE_DEVICES: '' }, encoding: 'utf8' });
  const reason = r.stdout.trim();
  if (!cuda.compiled()) expect(reason).toMatch(/^convnets was built without CUDA support/);
  else if (!driverLibraryPresent()) expect(reason).toBe('no NVIDIA driver (libcuda.so.1 not found)');
  else expect(reason).toBe("no CUDA device found (CUDA_VISIBLE_DEVICES='' hides the others)");
});
