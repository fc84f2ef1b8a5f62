// The skeleton AlexNet and VGG share: features → adaptive average pool → flatten → classifier.
import * as F from '../functional';
import { AdaptiveAvgPool2d, Sequential } from '../nn';
import { step } from '../nn/module';
import { Shape, Tensor } from '../tensor';

export interface PooledClassifier {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
}

export function forwardPooledClassifier(net: PooledClassifier, x: Tensor): Tensor {
  let y = net.features.forward(x);
  y = step(y, x, (t) => net.avgpool.forward(t));
  y = step(y, x, (t) => F.flatten(t, 1));
  return step(y, x, (t) => net.classifier.forward(t));
}

export function shapePooledClassifier(net: PooledClassifier, input: Shape): number[] {
  const f = net.avgpool.outputShape(net.features.outputShape(input));
  return net.classifier.outputShape([f[0], f[1] * f[2] * f[3]]);
}
