// The device harness: every op runs on every non-CPU device and is compared with the CPU result on the
// same inputs. Devices that are not present are REPORTED AS SKIPPED (describe.skip, the reason in the
// title), never counted as passing. Later issues extend the case table (test/devices/harness.test.ts).
import { Tensor, Device, memory } from '../../lib/tensor';
import { cuda } from '../../lib/runtime';
import * as F from '../../lib/functional';
import { relErr } from './check';

export type Functional = typeof F;

/** One op on concrete inputs: `make` builds CPU inputs, `run` applies the op (the harness moves inputs). */
export interface DeviceCase {
  name: string;
  make(): Tensor[];
  run(f: Functional, inputs: Tensor[]): Tensor;
  /** Relative L2 error allowed against the CPU result (DESIGN.md tolerances). */
  tol: number;
  /** The result keeps device memory alive until garbage collection (e.g. a plan holding weights): skip the leak check. */
  keepsDeviceMemory?: boolean;
}

export interface DeviceSlot {
  device: Device;
  available: boolean;
  reason: string;
}

/** Every non-CPU device the harness targets: cuda:0..n-1 when CUDA is available, else one unavailable cuda slot. */
export function accelerators(): DeviceSlot[] {
  if (!cuda.isAvailable()) return [{ device: 'cuda', available: false, reason: cuda.unavailableReason() }];
  const slots: DeviceSlot[] = [];
  for (let i = 0; i < cuda.deviceCount(); i++) slots.push({ device: `cuda:${i}`, available: true, reason: '' });
  return slots;
}

/** describe() per device; a missing device gives describe.skip with the reason, so its cases show as skipped. */
export function forEachAccelerator(fn: (device: Device) => void): void {
  for (const slot of accelerators()) {
    if (slot.available) describe(`device ${slot.device}`, () => fn(slot.device));
    else describe.skip(`device ${slot.device} — skipped: ${slot.reason}`, () => fn(slot.device));
  }
}

/** Random CPU input uniform in [-scale, scale) (non-zero almost surely) from a fixed seed. */
export function rnd(shape: number[], seed: number, scale = 1): Tensor {
  return Tensor.rand(shape, { seed, low: -scale, high: scale });
}

/** Positive random input in [lo, hi) (variances, LRN-friendly data). */
export function rndPos(shape: number[], seed: number, lo = 0.5, hi = 1.5): Tensor {
  return Tensor.rand(shape, { seed, low: lo, high: hi });
}

/**
 * Runs `c` on the CPU and on `device` and checks: the result is on `device`, has the CPU's shape, is within
 * c.tol of the CPU result, and no device tensor outlives the case.
 */
export function checkOnDevice(c: DeviceCase, device: Device): void {
  const inputs = c.make();
  const ref = c.run(F, inputs);
  const index = device === 'cuda' ? 0 : Number(device.split(':')[1] ?? 0);
  const before = memory().cuda[index]?.tensors ?? 0;
  const onDevice = inputs.map((t) => t.to(device));
  const out = c.run(F, onDevice);
  expect(out.device).toBe(device === 'cuda' ? 'cuda:0' : device);
  expect([...out.shape]).toEqual([...ref.shape]);
  const err = relErr(out.data(), ref.data());
  if (!(err <= c.tol)) throw new Error(`${c.name} on ${device}: relative L2 error ${err.toExponential(3)} exceeds ${c.tol}`);
  out.dispose();
  for (const t of onDevice) t.dispose();
  if (!c.keepsDeviceMemory) expect(memory().cuda[index]?.tensors ?? 0).toBe(before);
  ref.dispose();
  for (const t of inputs) t.dispose();
}
