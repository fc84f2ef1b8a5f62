// PyTorch's outputs (scripts/fixtures_ops.py, torch 1.13) for the same inputs, regenerated here by the
// generator both sides implement (test/helpers/gen.ts): the library must agree with torch itself, not
// only with our own reading of torch's definitions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { F, Tensor } from '../../lib';
import { expectClose, expectNonTrivial } from '../helpers/check';
import { genF32 } from '../helpers/gen';
import { forEachIsa } from '../helpers/isa';

interface InputSpec { shape: number[]; seed: number; scale: number }
interface Case { name: string; inputs: InputSpec[]; args: Record<string, any>; shape: number[]; output: number[] }

function load(file: string): Case[] {
  const json = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ops', file), 'utf8'));
  return json.cases;
}

const input = (s: InputSpec) => Tensor.from(genF32(s.shape.reduce((a, b) => a * b, 1), s.seed, s.scale), s.shape);

function run(c: Case): Tensor {
  const a = c.args;
  const [x] = c.inputs.map(input);
  switch (c.name) {
    case 'maxPool2d':
      return F.maxPool2d(x, { kernelSize: a.kernelSize, stride: a.stride, padding: a.padding, dilation: a.dilation, ceilMode: a.ceilMode });
    case 'avgPool2d':
      return F.avgPool2d(x, { kernelSize: a.kernelSize, stride: a.stride, padding: a.padding, ceilMode: a.ceilMode, countIncludePad: a.countIncludePad });
    case 'adaptiveAvgPool2d':
      return F.adaptiveAvgPool2d(x, a.outputSize);
    case 'localResponseNorm':
      return F.localResponseNorm(x, { size: a.size, alpha: a.alpha, beta: a.beta, k: a.k });
    case 'batchNorm': {
      const [, mean, varSpec, w, b] = c.inputs;
      // runningVar = |gen| + varOffset, added in float32 as torch did.
      const v = genF32(varSpec.shape[0], varSpec.seed, varSpec.scale).map((e) => Math.fround(Math.abs(e) + a.varOffset));
      return F.batchNorm(x, input(mean), Tensor.from(v, varSpec.shape), w ? input(w) : null, b ? input(b) : null, { eps: a.eps });
    }
    case 'softmax':
      return F.softmax(x, a.dim);
    case 'logSoftmax':
      return F.logSoftmax(x, a.dim);
  }
  throw new Error(`unknown fixture op ${c.name}`);
}

forEachIsa(() => {
  for (const file of ['pooling.json', 'normalization.json', 'softmax.json']) {
    describe(`torch fixtures: ${file}`, () => {
      const cases = load(file);
      test('the fixture file is not empty', () => expect(cases.length).toBeGreaterThan(3));
      cases.forEach((c, i) => {
        test(`#${i} ${c.name} [${c.inputs[0].shape}] ${JSON.stringify(c.args)}`, () => {
          expectNonTrivial(c.output);
          expectClose(run(c), { shape: c.shape, data: c.output }, 1e-6, c.name);
        });
      });
    });
  }
});
