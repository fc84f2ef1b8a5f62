// The tensor-core kernels (native/cuda/conv_implicit_gemm_tc.cu, gemm_tc.cu) run on the CPU under the CUDA
// emulator (scripts/cuda-emu/run-tc.sh: one thread per CUDA thread, mma.sync rebuilt from the PTX fragment
// layouts, TF32/BF16/FP16 rounding in software) against a float64 reference on the same rounded operands:
// the kernels' indexing, tiling, k split and packing are proven on machines without a GPU. Needs g++ and
// python3 (both on every machine that builds the addon); where either is missing the test fails, never skips.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('tensor-core kernels under the CPU emulator: every check within 2e-6 of the rounded-operand reference', () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'cuda-emu', 'run-tc.sh');
  const r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, VERBOSE: '1' } });
  const out = `${r.stdout}\n${r.stderr}`;
  expect(out).toMatch(/^0 failures$/m);
  // 11 rounding checks + 3 precisions × (11 conv + 5 GEMM) cases
  expect(out).toMatch(/^59 checks OK$/m);
  expect(r.status).toBe(0);
}, 600_000);
