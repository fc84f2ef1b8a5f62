// Memory tests count live storages exactly, but a data() view keeps a disposed tensor's storage alive
// until the garbage collector runs; collect such garbage before measuring so a GC cannot move the count.
// Jest runs several test files in one worker process and the counts are the process's: what an earlier file
// left to the collector may take more than one round to go (a finalizer queues the release of what it held),
// so collect until the live count stops moving.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { memory } from '../../lib';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function round(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

export async function settleGc(): Promise<void> {
  let before = memory().cpu;
  for (let i = 0; i < 10; i++) {
    await round();
    const now = memory().cpu;
    if (now.tensors === before.tensors && now.bytes === before.bytes) return;
    before = now;
  }
}
