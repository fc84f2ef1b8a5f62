// A small composed network built from F ops (conv + BN + ReLU, max pool, a residual join, a 1×1 branch,
// cat, a grouped strided conv, adaptive pool, flatten, two linear layers, softmax), with seeded weights.
// Weights do not depend on the spatial size, so the same net runs at any input height and width.
import { Device, F, Tensor } from '../../lib';
import { ConvPlan } from '../../lib/functional/conv';

interface Bn { mean: Tensor; var: Tensor; gamma: Tensor; beta: Tensor }

/** Seeded weight makers: every network built by the same maker on any device gets the same values. */
function weights(device: Device = 'cpu') {
  let seed = 100;
  const rand = (shape: number[], low = -0.5, high = 0.5) => {
    const t = Tensor.rand(shape, { seed: seed++, low, high });
    if (device === 'cpu') return t;
    const d = t.to(device);
    t.dispose();
    return d;
  };
  const bn = (c: number): Bn => ({ mean: rand([c]), var: rand([c], 0.5, 1.5), gamma: rand([c], 0.5, 1.5), beta: rand([c]) });
  return { rand, bn };
}

const applyBn = (x: Tensor, p: Bn, relu = false) => F.batchNorm(x, p.mean, p.var, p.gamma, p.beta, { relu });

export function makeNet(device: Device = 'cpu') {
  const { rand, bn } = weights(device);
  const w = {
    stem: rand([6, 3, 3, 3]), stemB: rand([6]), bn0: bn(6),
    a1: rand([6, 6, 3, 3]), bn1: bn(6), a2: rand([6, 6, 3, 3]), bn2: bn(6),
    b1: rand([4, 6, 1, 1]), b1B: rand([4]),
    g: rand([10, 2, 3, 3]), gB: rand([10]),
    fc1: rand([7, 90]), fc1B: rand([7]), fc2: rand([5, 7]), fc2B: rand([5]),
  };
  const forward = (x: Tensor): Tensor => {
    let y = F.relu(applyBn(F.conv2d(x, w.stem, w.stemB, { padding: 1 }), w.bn0));
    y = F.maxPool2d(y, { kernelSize: 3, stride: 2, padding: 1 });
    const a = applyBn(F.conv2d(applyBn(F.conv2d(y, w.a1, null, { padding: 1 }), w.bn1, true), w.a2, null, { padding: 1 }), w.bn2);
    const res = F.add(a, y, { relu: true });
    const b = F.relu(F.conv2d(y, w.b1, w.b1B));
    let z = F.cat([res, b], 1);
    z = F.conv2d(z, w.g, w.gB, { stride: 2, groups: 5 });
    z = F.flatten(F.adaptiveAvgPool2d(z, 3));
    z = F.relu(F.linear(z, w.fc1, w.fc1B));
    return F.softmax(F.linear(z, w.fc2, w.fc2B), 1);
  };
  const dispose = () => {
    for (const v of Object.values(w)) {
      if (v instanceof Tensor) v.dispose();
      else for (const t of Object.values(v)) t.dispose();
    }
  };
  return { forward, dispose, w };
}

/** conv → BN → ReLU through prepared ConvPlans (the path nn.Conv2d takes), then a head. */
export function makePreparedNet(inputShape: number[]) {
  const { rand, bn } = weights();
  const w1 = rand([5, 3, 3, 3]), b1 = rand([5]), p1 = bn(5);
  const w2 = rand([4, 5, 1, 1]), p2 = bn(4);
  const c1 = new ConvPlan(w1, b1, inputShape, { padding: 1 });
  const c2 = new ConvPlan(w2, null, [inputShape[0], 5, inputShape[2], inputShape[3]]);
  const forward = (x: Tensor) => applyBn(c2.run(F.relu(applyBn(c1.run(x), p1))), p2, true);
  return { forward };
}
