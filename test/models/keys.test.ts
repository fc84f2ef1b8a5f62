// Every network's module tree, state_dict keys (in order) and shapes equal torchvision 0.14's, dumped by
// scripts/dump_torchvision_keys.py into test/fixtures/models/keys/.
import * as models from '../../lib/models';
import { Module } from '../../lib/nn';
import { torchvisionRecord } from '../helpers/torchvision_keys';


const BUILDERS: Record<string, () => Module> = {
  alexnet: () => models.alexnet(),
  vgg11: () => models.vgg11(), vgg11_bn: () => models.vgg11_bn(), vgg13: () => models.vgg13(), vgg13_bn: () => models.vgg13_bn(),
  vgg16: () => models.vgg16(), vgg16_bn: () => models.vgg16_bn(), vgg19: () => models.vgg19(), vgg19_bn: () => models.vgg19_bn(),
  googlenet: () => models.googlenet(), googlenet_aux: () => models.googlenet({ auxLogits: true }),
  resnet18: () => models.resnet18(), resnet34: () => models.resnet34(), resnet50: () => models.resnet50(),
  resnet101: () => models.resnet101(), resnet152: () => models.resnet152(),
  densenet121: () => models.densenet121(), densenet161: () => models.densenet161(),
  densenet169: () => models.densenet169(), densenet201: () => models.densenet201(),
};

describe('module trees and state_dict keys match torchvision 0.14', () => {
  for (const [name, build] of Object.entries(BUILDERS)) {
    test(name, () => {
      const ref = torchvisionRecord(name);
      const model = build();
      try {
        const tree = model.namedModules().slice(1).map(([n, m]) => [n, m.typeName]);
        expect(tree).toEqual(ref.modules);
        const keys = [...model.stateDict()].map(([k, t]) => [k, [...t.shape]]);
        expect(keys).toEqual(ref.stateDict);
        expect(model.parameters().reduce((a, t) => a + t.numel, 0)).toBe(ref.params);
      } finally {
        model.dispose();
      }
    });
  }
});
