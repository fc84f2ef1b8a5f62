// interpolate.cu's kernels run on the CPU under the CUDA emulator (scripts/cuda-emu/run-interp.sh): the tap
// tables built on the device equal the host's bit for bit, and both resampling passes equal a float64 sum
// over those taps — the CUDA path is checked on machines without a GPU (the device harness compares it
// with the CPU on a GPU). Needs g++ and python3; where either is missing the test fails, never skips.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('interpolate kernels under the CPU emulator: 36 checks', () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'cuda-emu', 'run-interp.sh');
  const r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, VERBOSE: '1' } });
  const out = `${r.stdout}\n${r.stderr}`;
  expect(out).toMatch(/^36 checks, 0 failures$/m);
  expect(out).not.toMatch(/FAIL/);
  expect(r.status).toBe(0);
}, 300_000);
