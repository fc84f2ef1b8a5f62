// Whole networks against PyTorch 1.13 (float64) outputs made by scripts/fixtures_models.py: same weights
// and inputs from the shared counter generator, compared on the logits and on the input of the final
// Linear layer, with the default algorithm choice and with every applicable conv algorithm forced.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { convAlgorithms, ConvAlgo, ConvAlgorithmName } from '../../lib/functional/conv';
import * as models from '../../lib/models';
import { nn, summary, Tensor } from '../../lib';
import { relErr } from '../helpers/check';
import { counterInput, fillModel } from '../helpers/counter_rng';

interface Fixture {
  model: string;
  numClasses: number;
  options: Record<string, unknown>;
  cases: { input: number[]; outputs: Record<'logits' | 'penultimate', { shape: number[]; offset: number }> }[];
}

const DIR = path.join(__dirname, '..', 'fixtures', 'models');
const BUILDERS: Record<string, (o: { numClasses: number } & Record<string, unknown>) => nn.Module> = {
  alexnet: models.alexnet, alexnetOriginal: models.alexnetOriginal,
  vgg11: models.vgg11, vgg11_bn: models.vgg11_bn, vgg16: models.vgg16, vgg16_bn: models.vgg16_bn,
  googlenet: models.googlenet, resnet18: models.resnet18, resnet50: models.resnet50, densenet121: models.densenet121,
};
const WINOGRAD = /winograd/;

/** Forced algorithms worth a run: those at least one conv layer of the network supports at this input. */
function applicableAlgorithms(model: nn.Module, input: number[]): ConvAlgorithmName[] {
  const names = new Set<ConvAlgorithmName>();
  for (const l of summary(model, input).layers) {
    if (l.type !== 'Conv2d') continue;
    const conv = model.namedModules().find(([n]) => n === l.name)![1] as nn.Conv2d;
    const desc = { input: l.inputShape, weight: conv.weight.shape, stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups };
    for (const a of convAlgorithms(desc)) if (a.supported) names.add(a.name);
  }
  return [...names];
}

const top1 = (logits: Float32Array | number[], classes: number) =>
  Array.from({ length: logits.length / classes }, (_, n) => {
    const row = Array.from(logits.slice(n * classes, (n + 1) * classes));
    return row.indexOf(Math.max(...row));
  });

const fixtures = fs.readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'rng_check.json').map((f) => f.replace('.json', ''));

describe('networks match PyTorch', () => {
  test('every network with a parity fixture is covered', () => {
    expect(fixtures.sort()).toEqual(Object.keys(BUILDERS).sort());
  });

  for (const name of fixtures) {
    describe(name, () => {
      const fx: Fixture = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8'));
      const bin = fs.readFileSync(path.join(DIR, `${name}.bin`));
      const ref = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
      const slice = (o: { shape: number[]; offset: number }) => ref.subarray(o.offset, o.offset + o.shape.reduce((a, b) => a * b, 1));
      let model: nn.Module;
      let head: nn.Linear;
      let captured: Tensor | null = null;

      beforeAll(() => {
        model = BUILDERS[name]({ numClasses: fx.numClasses, ...fx.options });
        fillModel(model);
        model.eval();
        // capture the input of the final Linear (the pooled features torch's forward hook recorded)
        head = model.modules().filter((m): m is nn.Linear => m instanceof nn.Linear).pop()!;
        const run = head.forward.bind(head);
        head.forward = (x: Tensor) => {
          captured = Tensor.from(x.data(), x.shape);
          return run(x);
        };
      });
      afterAll(() => model.dispose());

      for (const c of fx.cases) {
        test(`${c.input.join('×')}: auto${name.startsWith('vgg') && c.input[2] >= 224 ? '' : ' and every applicable conv algorithm'}`, () => {
          const x = counterInput(c.input);
          const refLogits = slice(c.outputs.logits);
          const refFeatures = slice(c.outputs.penultimate);
          // the reference is not just the classifier bias: the features reach the logits
          const bias = Array.from(head.bias!.data());
          const rms = (v: number[]) => Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length);
          expect(rms(Array.from(refLogits, (v, i) => v - bias[i % fx.numClasses]))).toBeGreaterThan(5 * rms(bias));
          expect(relErr(refLogits.subarray(0, fx.numClasses), refLogits.subarray(fx.numClasses))).toBeGreaterThan(1e-2);

          // VGG at 224² is 15 GMACs per image: there only auto; its (smaller) odd size forces every algorithm
          const forceAll = !name.startsWith('vgg') || c.input[2] < 224;
          const algos: ConvAlgo[] = forceAll ? ['auto', ...applicableAlgorithms(model, c.input)] : ['auto'];
          if (forceAll) expect(algos.length).toBeGreaterThan(3);
          const report: string[] = [];
          for (const algo of algos) {
            model.setConvAlgorithm(algo);
            const out = model.forward(x);
            const tol = WINOGRAD.test(algo) ? 1e-3 : 1e-4;
            const eLogits = relErr(out.data(), refLogits);
            const eFeat = relErr(captured!.data(), refFeatures);
            report.push(`${algo}: logits ${eLogits.toExponential(2)}, features ${eFeat.toExponential(2)}`);
            expect([...out.shape]).toEqual(c.outputs.logits.shape);
            if (!(eLogits <= tol && eFeat <= tol)) throw new Error(`${name} ${algo}: ${report.join('; ')} (tolerance ${tol})`);
            expect(top1(out.data(), fx.numClasses)).toEqual(top1(refLogits, fx.numClasses));
            out.dispose();
            captured!.dispose();
          }
          model.setConvAlgorithm('auto');
          x.dispose();
          console.log(`${name} ${c.input.join('×')}: ${report.join('; ')}`);
        });
      }
    });
  }
});
