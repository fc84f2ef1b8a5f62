// Every op on every available accelerator against the CPU result (test/helpers/devices.ts). Without a
// GPU the cases are reported as skipped with the reason. Extend `cases` when an op gains a device kernel.
import { DeviceCase, forEachAccelerator, checkOnDevice, rnd } from '../helpers/devices';

const EXACT = 1e-6; // elementwise ops: same float operations on both devices

export const cases: DeviceCase[] = [
  { name: 'relu [3, 5, 7, 9]', make: () => [rnd([3, 5, 7, 9], 1)], run: (F, [x]) => F.relu(x), tol: EXACT },
  { name: 'relu [4099] (float4 body + tail)', make: () => [rnd([4099], 2)], run: (F, [x]) => F.relu(x), tol: EXACT },
  { name: 'add [2, 3, 17, 5]', make: () => [rnd([2, 3, 17, 5], 3), rnd([2, 3, 17, 5], 4)], run: (F, [a, b]) => F.add(a, b), tol: EXACT },
  {
    name: 'add + relu [3, 7, 11, 13]',
    make: () => [rnd([3, 7, 11, 13], 5), rnd([3, 7, 11, 13], 6)],
    run: (F, [a, b]) => F.add(a, b, { relu: true }),
    tol: EXACT,
  },
  { name: 'add [1] (one element)', make: () => [rnd([1], 7), rnd([1], 8)], run: (F, [a, b]) => F.add(a, b), tol: EXACT },
];

forEachAccelerator((device) => {
  for (const c of cases) test(c.name, () => checkOnDevice(c, device));
});
