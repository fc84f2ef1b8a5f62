// Every distinct conv layer of the five benchmark networks at batch 1, 224×224 (torchvision layouts).
import { Tensor } from '../lib';
export interface Layer {
  net: string;
  name: string;
  C: number; H: number; K: number; R: number; stride: number; pad: number;
}

const L = (net: string, name: string, C: number, H: number, K: number, R: number, stride = 1, pad = (R - 1) / 2): Layer =>
  ({ net, name, C, H, K, R, stride, pad });

function alexnet(): Layer[] {
  return [L('alexnet', 'conv1', 3, 224, 64, 11, 4, 2), L('alexnet', 'conv2', 64, 27, 192, 5), L('alexnet', 'conv3', 192, 13, 384, 3),
    L('alexnet', 'conv4', 384, 13, 256, 3), L('alexnet', 'conv5', 256, 13, 256, 3)];
}

function vgg16(): Layer[] {
  const cfg: [number, number, number][] = [[3, 64, 224], [64, 64, 224], [64, 128, 112], [128, 128, 112], [128, 256, 56], [256, 256, 56],
    [256, 512, 28], [512, 512, 28], [512, 512, 14]];
  return cfg.map(([c, k, h], i) => L('vgg16', `conv${i + 1}`, c, h, k, 3));
}

function googlenet(): Layer[] {
  const out = [L('googlenet', 'conv1', 3, 224, 64, 7, 2, 3), L('googlenet', 'conv2', 64, 56, 64, 1), L('googlenet', 'conv3', 64, 56, 192, 3)];
  // [name, in, size, c1, c3r, c3, c5r, c5, pool] (torchvision's "5×5" branch is 3×3)
  const inc: [string, number, number, number, number, number, number, number, number][] = [
    ['3a', 192, 28, 64, 96, 128, 16, 32, 32], ['3b', 256, 28, 128, 128, 192, 32, 96, 64],
    ['4a', 480, 14, 192, 96, 208, 16, 48, 64], ['4b', 512, 14, 160, 112, 224, 24, 64, 64], ['4c', 512, 14, 128, 128, 256, 24, 64, 64],
    ['4d', 512, 14, 112, 144, 288, 32, 64, 64], ['4e', 528, 14, 256, 160, 320, 32, 128, 128],
    ['5a', 832, 7, 256, 160, 320, 32, 128, 128], ['5b', 832, 7, 384, 192, 384, 48, 128, 128]];
  for (const [n, c, h, c1, c3r, c3, c5r, c5, pool] of inc) {
    out.push(L('googlenet', `${n}.b1`, c, h, c1, 1), L('googlenet', `${n}.b2r`, c, h, c3r, 1), L('googlenet', `${n}.b2`, c3r, h, c3, 3),
      L('googlenet', `${n}.b3r`, c, h, c5r, 1), L('googlenet', `${n}.b3`, c5r, h, c5, 3), L('googlenet', `${n}.b4`, c, h, pool, 1));
  }
  return out;
}

function resnet50(): Layer[] {
  const out = [L('resnet50', 'conv1', 3, 224, 64, 7, 2, 3)];
  let c = 64;
  let h = 56;
  [[64, 3], [128, 4], [256, 6], [512, 3]].forEach(([w, blocks], s) => {
    for (let b = 0; b < blocks; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const p = `layer${s + 1}.${b}`;
      out.push(L('resnet50', `${p}.conv1`, c, h, w, 1), L('resnet50', `${p}.conv2`, w, h, w, 3, stride));
      const ho = h / stride;
      out.push(L('resnet50', `${p}.conv3`, w, ho, w * 4, 1));
      if (b === 0) out.push(L('resnet50', `${p}.downsample`, c, h, w * 4, 1, stride, 0));
      c = w * 4;
      h = ho;
    }
  });
  return out;
}

function resnet18(): Layer[] {
  const out = [L('resnet18', 'conv1', 3, 224, 64, 7, 2, 3)];
  let c = 64;
  let h = 56;
  [64, 128, 256, 512].forEach((w, s) => {
    for (let b = 0; b < 2; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const p = `layer${s + 1}.${b}`;
      const ho = h / stride;
      out.push(L('resnet18', `${p}.conv1`, c, h, w, 3, stride), L('resnet18', `${p}.conv2`, w, ho, w, 3));
      if (b === 0 && s > 0) out.push(L('resnet18', `${p}.downsample`, c, h, w, 1, stride, 0));
      c = w;
      h = ho;
    }
  });
  return out;
}

function densenet121(): Layer[] {
  const out = [L('densenet121', 'conv0', 3, 224, 64, 7, 2, 3)];
  let c = 64;
  let h = 56;
  [6, 12, 24, 16].forEach((n, bi) => {
    for (let i = 0; i < n; i++) {
      out.push(L('densenet121', `block${bi + 1}.${i}.conv1`, c + 32 * i, h, 128, 1), L('densenet121', `block${bi + 1}.${i}.conv2`, 128, h, 32, 3));
    }
    c += 32 * n;
    if (bi < 3) {
      out.push(L('densenet121', `transition${bi + 1}`, c, h, c / 2, 1));
      c /= 2;
      h /= 2;
    }
  });
  return out;
}

const key = (l: Layer) => `${l.C}x${l.H}→${l.K} ${l.R}x${l.R}/${l.stride} p${l.pad}`;

/**
 * Distinct layer shapes in network order, each with the layers that share it: alexnet, vgg16, googlenet,
 * resnet50 and densenet121, and resnet18 too when asked.
 */
export function distinctLayers(opts: { resnet18?: boolean } = {}): (Layer & { uses: string[] })[] {
  const m = new Map<string, Layer & { uses: string[] }>();
  for (const l of [...alexnet(), ...vgg16(), ...googlenet(), ...(opts.resnet18 ? resnet18() : []), ...resnet50(), ...densenet121()]) {
    const k = key(l);
    const e = m.get(k);
    if (e) e.uses.push(`${l.net}.${l.name}`);
    else m.set(k, { ...l, uses: [`${l.net}.${l.name}`] });
  }
  return [...m.values()];
}
export { key as layerKey };

/** A layer's operands at batch 1 (seeded: the same in every benchmark) and its options: bias + ReLU. */
export function layerOperands(l: Layer) {
  const input = [1, l.C, l.H, l.H];
  const weight = [l.K, l.C, l.R, l.R];
  const opts = { stride: l.stride, padding: l.pad, activation: 'relu' as const };
  const x = Tensor.rand(input, { seed: 3, low: -1, high: 1 });
  const w = Tensor.rand(weight, { seed: 4, low: -0.1, high: 0.1 });
  const bias = Tensor.rand([l.K], { seed: 5, low: -0.1, high: 0.1 });
  const OH = Math.floor((l.H + 2 * l.pad - l.R) / l.stride) + 1;
  return { input, weight, opts, x, w, bias, OH };
}
