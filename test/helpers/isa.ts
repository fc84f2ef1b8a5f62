// Runs a describe block once per instruction set this CPU supports (generic, avx2, avx512), so every
// ISA path of every kernel is tested on the machine that runs the tests.
import { cpuInfo, setIsa, Isa } from '../../lib/runtime';

export function forEachIsa(fn: (isa: Isa) => void): void {
  const { available, active } = cpuInfo();
  for (const isa of available) {
    describe(`isa=${isa}`, () => {
      beforeAll(() => setIsa(isa));
      afterAll(() => setIsa(active));
      fn(isa);
    });
  }
}
