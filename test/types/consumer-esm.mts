// Type test for ESM consumers: `import` resolves through package.json exports' "import" condition to
// dist/index.d.mts (and at run time to dist/index.mjs). The same names as the CommonJS entry, with types.
import { Tensor, F, models, compile, ConvPlan, nn } from 'convnets';
import type { ConvAlgo, Conv2dOptions } from 'convnets';

export async function esm(): Promise<number> {
  using x = Tensor.rand([1, 3, 8, 8], { seed: 1 });
  using net = new nn.Sequential(new nn.Conv2d(3, 2, 3), new nn.ReLU());
  using plan = compile(net, { inputShape: [1, 3, 8, 8] });
  await plan.warmup();
  using conv = new ConvPlan(Tensor.rand([2, 3, 3, 3]), null, x.shape, { algo: 'direct' satisfies ConvAlgo });
  const opts: Conv2dOptions = { activation: 'relu' };
  const top = F.topk(F.flatten(x), 2);
  // @ts-expect-error: not an algorithm
  const bad: ConvAlgo = 'fastest';
  return top.values.numel + (await plan.run(x)).numel + conv.run(x).numel + models.resnet18().parameters().length +
    (opts.activation ? 1 : 0) + String(bad).length;
}
