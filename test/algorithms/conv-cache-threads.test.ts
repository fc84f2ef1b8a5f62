// The prepared-weight cache is one per process: worker threads share it. Four workers convolve with their own
// weights in a loop while the byte limit keeps evicting, and replace (dispose) weights as they go, so entries are
// found, made, evicted and freed with their storage concurrently. Every output must keep the bits of an uncached
// call. Needs dist/ (npm test builds it first), which the workers load.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Tensor, F, convCacheStats, setConvCacheLimit, clearConvCache } from '../../lib';

const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const { Tensor, F } = require(workerData.dist);
const x = Tensor.rand([1, 16, 10, 10], { seed: 1 });
const shape = [24, 16, 3, 3];
const refs = [], ws = [];
for (let s = 0; s < 4; s++) {
  const exposed = Tensor.rand(shape, { seed: workerData.seed + s });
  const view = exposed.data();  // a live view: never cached, so this is the uncached answer
  const y = F.conv2d(x, exposed, null, { padding: 1 });
  refs.push(Float32Array.from(y.data()));
  y.dispose(); exposed.dispose();
  if (view.length !== 24 * 16 * 9) throw new Error('view');
  ws.push(Tensor.rand(shape, { seed: workerData.seed + s }));
}
let bad = 0;
for (let i = 0; i < workerData.iters; i++) {
  const s = i % 4;
  for (let rep = 0; rep < 2; rep++) {  // the second call hits unless another thread evicted the entry meanwhile
    const y = F.conv2d(x, ws[s], null, { padding: 1 });
    const d = y.data();
    for (let j = 0; j < d.length; j++) if (d[j] !== refs[s][j]) { bad++; break; }
    y.dispose();
  }
  if (i % 7 === 0) { ws[s].dispose(); ws[s] = Tensor.rand(shape, { seed: workerData.seed + s }); }
}
for (const w of ws) w.dispose();
x.dispose();
parentPort.postMessage(bad);
`;

test('workers share the cache safely: concurrent hits, misses, evictions and frees never change a result', async () => {
  const limit = convCacheStats().limitBytes;
  clearConvCache();
  // Room for about three of the sixteen weights' entries: most calls evict someone else's.
  const probe = Tensor.rand([24, 16, 3, 3], { seed: 1 });
  const x = Tensor.rand([1, 16, 10, 10], { seed: 1 });
  F.conv2d(x, probe, null, { padding: 1 }).dispose();
  const one = convCacheStats().bytes;
  probe.dispose(); x.dispose();
  setConvCacheLimit(3 * one);
  try {
    const dist = path.resolve(__dirname, '../../dist/index.js');
    const results = await Promise.all([0, 1, 2, 3].map((k) => new Promise<number>((resolve, reject) => {
      const w = new Worker(workerCode, { eval: true, workerData: { dist, seed: 1000 * (k + 1), iters: 300 } });
      w.once('message', resolve);
      w.once('error', reject);
    })));
    expect(results).toEqual([0, 0, 0, 0]);
    const s = convCacheStats();
    expect(s.bytes).toBeLessThanOrEqual(3 * one);
    expect(s.hits).toBeGreaterThan(0);
    expect(s.entries).toBe(0);  // every weight was disposed: its entries went with it
  } finally {
    setConvCacheLimit(limit);
    clearConvCache();
  }
});
