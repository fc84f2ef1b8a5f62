// summary(): parameter counts and conv+linear MACs equal torchvision's (counted by forward hooks in
// scripts/dump_torchvision_keys.py), shapes come from inference alone, and the 1×1 bottleneck saving.
import * as models from '../../lib/models';
import { nn, summary } from '../../lib';
import { torchvisionRecord } from '../helpers/torchvision_keys';

describe('summary', () => {
  const cases: [string, () => nn.Module, number, number][] = [
    ['alexnet', () => models.alexnet(), 61_100_840, 0.714e9],
    ['vgg16', () => models.vgg16(), 138_357_544, 15.47e9],
    ['googlenet', () => models.googlenet(), 6_624_904, 1.5e9],
    ['resnet50', () => models.resnet50(), 25_557_032, 4.09e9],
    ['densenet121', () => models.densenet121(), 7_978_856, 2.83e9],
  ];
  for (const [name, build, params, approxMacs] of cases) {
    test(`${name}: totals equal torchvision's`, () => {
      const model = build().eval();
      const s = summary(model, [1, 3, 224, 224]);
      expect(s.totalParams).toBe(params);
      expect(s.totalMacs).toBe(torchvisionRecord(name).macs224);
      expect(Math.abs(s.totalMacs - approxMacs) / approxMacs).toBeLessThan(0.005);
      expect(s.outputShape).toEqual([1, 1000]);
      // every parameter of the model is in some row (no aux heads here)
      expect(s.layers.reduce((a, l) => a + l.params, 0)).toBe(params);
      expect(s.text).toContain(`Total params: ${params.toLocaleString('en-US')}`);
      model.dispose();
    });
  }

  test('rows: names, types, shapes and MACs of alexnet layers', () => {
    const model = models.alexnet({ numClasses: 10 }).eval();
    const s = summary(model, [2, 3, 224, 224]);
    const conv1 = s.layers[0];
    expect(conv1).toMatchObject({ name: 'features.0', type: 'Conv2d', outputShape: [2, 64, 55, 55], params: 64 * 3 * 121 + 64 });
    expect(conv1.macs).toBe(2 * 64 * 3 * 11 * 11 * 55 * 55);
    const pool = s.layers.find((l) => l.name === 'features.12')!;
    expect(pool).toMatchObject({ type: 'MaxPool2d', outputShape: [2, 256, 6, 6], params: 0, macs: 0 });
    const fc = s.layers[s.layers.length - 1];
    expect(fc).toMatchObject({ name: 'classifier.6', type: 'Linear', outputShape: [2, 10], macs: 2 * 4096 * 10 });
    expect(s.text.split('\n').some((l) => /^features\.0\s+Conv2d\s+\[2, 64, 55, 55\]\s+23,296\s+/.test(l))).toBe(true);
    model.dispose();
  });

  test('odd sizes follow torch rounding (ceil-mode pools in googlenet, floor elsewhere)', () => {
    const g = models.googlenet({ numClasses: 10 }).eval();
    const rows = summary(g, [1, 3, 199, 237]).layers;
    // conv1 7×7/2 pad 3: 100×119; maxpool1 3/2 ceil: 50×59
    expect(rows.find((l) => l.name === 'conv1.conv')!.outputShape).toEqual([1, 64, 100, 119]);
    expect(rows.find((l) => l.name === 'maxpool1')!.outputShape).toEqual([1, 64, 50, 59]);
    const r = models.resnet18().eval();
    expect(summary(r, [1, 3, 199, 237]).layers.find((l) => l.name === 'maxpool')!.outputShape).toEqual([1, 64, 50, 60]);
    g.dispose();
    r.dispose();
  });

  test('the 1×1 bottleneck saving (GoogLeNet paper arithmetic)', () => {
    const direct = new nn.Sequential(new nn.Conv2d(192, 32, 5, { padding: 2 }));
    const reduced = new nn.Sequential(new nn.Conv2d(192, 16, 1), new nn.Conv2d(16, 32, 5, { padding: 2 }));
    expect(summary(direct, [1, 192, 28, 28]).totalMacs).toBe(120_422_400);
    expect(summary(reduced, [1, 192, 28, 28]).totalMacs).toBe(12_443_648);
  });

  test('shape errors name the layer problem', () => {
    const m = models.resnet18();
    expect(() => summary(m, [1, 4, 224, 224])).toThrow(
      "summary(ResNet, [1, 4, 224, 224]): layer 'conv1' (Conv2d) with input [1, 4, 224, 224]: conv2d: weight has 3 input channels per group but input has 4");
    expect(() => summary(m, [3, 224, 224])).toThrow(/layer 'conv1' \(Conv2d\) with input \[3, 224, 224\]: conv2d: expected a 4-D input/);
  });
});
