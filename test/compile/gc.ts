// Memory tests count live storages exactly, but a data() view keeps a disposed tensor's storage alive
// until the garbage collector runs; collect such garbage before measuring so a GC cannot move the count.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export async function settleGc(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}
