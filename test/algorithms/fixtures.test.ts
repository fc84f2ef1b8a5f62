// PyTorch parity: outputs of torch.nn.functional.conv2d (scripts/fixtures_conv.py, float64 in torch)
// for a few configurations, with inputs from the same sin-based generator; every supported algorithm.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, F, convAlgorithms } from '../../lib';
import { expectClose } from '../helpers/check';
import { tolerance } from './cases';

interface Fixture {
  name: string; input: number[]; weight: number[]; stride: number; padding: number | 'same'; dilation: number; groups: number;
  bias: boolean; relu: boolean; seeds: [number, number, number]; outputShape: number[]; output: number[];
}

/** value i = scale · sin(0.37·i + 1.3·seed), as float32 (identical to the fixture script). */
function sinValues(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sin(0.37 * i + 1.3 * seed);
  return out;
}
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

const file = path.join(__dirname, '..', 'fixtures', 'conv', 'conv2d.json');
const fixtures = (JSON.parse(fs.readFileSync(file, 'utf8')) as { configs: Fixture[] }).configs;

describe('conv2d matches PyTorch', () => {
  test('the fixture file has every configuration', () => expect(fixtures.length).toBe(7));
  for (const f of fixtures) {
    const opts = { stride: f.stride, padding: f.padding, dilation: f.dilation, groups: f.groups };
    const algos = convAlgorithms({ input: f.input, weight: f.weight, ...opts }).filter((a) => a.supported).map((a) => a.name);
    for (const algo of [...algos, 'auto' as const]) {
      test(`${f.name}: ${algo}`, () => {
        const x = Tensor.from(sinValues(numel(f.input), f.seeds[0], 1), f.input);
        const w = Tensor.from(sinValues(numel(f.weight), f.seeds[1], 0.5), f.weight);
        const b = f.bias ? Tensor.from(sinValues(f.weight[0], f.seeds[2], 0.5), [f.weight[0]]) : null;
        const y = F.conv2d(x, w, b, { ...opts, activation: f.relu ? 'relu' : 'none', algo });
        expectClose(y, { shape: f.outputShape, data: f.output }, Math.max(tolerance[algo] ?? 5e-4, 1e-6), `${f.name} ${algo}`);
      });
    }
  }
});
