#!/usr/bin/python3
"""PyTorch reference outputs for the layer ops (test/fixtures/ops/*.json).

Inputs are not stored: they come from the generator that test/helpers/gen.ts implements identically,
  value i of stream `seed` = ((i*7919 + seed*104729) % 10007) / 5003.5 - 1,  times `scale`, as float32,
so each case records only its input (shape, seed, scale), the op's arguments and torch's output.
Run with Debian's torch: /usr/bin/python3 scripts/fixtures_ops.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'ops')


def gen(shape, seed, scale=1.0):
    n = int(np.prod(shape))
    vals = [(((i * 7919 + seed * 104729) % 10007) / 5003.5 - 1.0) * scale for i in range(n)]
    return torch.tensor(np.array(vals, dtype=np.float64).astype(np.float32)).reshape(shape)


def spec(shape, seed, scale=1.0):
    return {'shape': list(shape), 'seed': seed, 'scale': scale}


def case(name, inputs, args, out):
    return {
        'name': name,
        'inputs': inputs,
        'args': args,
        'shape': list(out.shape),
        # 9 significant digits round-trip float32 exactly and keep the files small.
        'output': [float('%.9g' % v) for v in out.detach().reshape(-1).tolist()],
    }


def pool_cases():
    cases = []
    max_cfgs = [
        ((2, 3, 11, 13), dict(kernelSize=3, stride=2, padding=0, dilation=1, ceilMode=True)),
        ((2, 3, 11, 13), dict(kernelSize=3, stride=2, padding=1, dilation=1, ceilMode=True)),
        ((1, 4, 9, 10), dict(kernelSize=[3, 2], stride=[2, 3], padding=[1, 0], dilation=[1, 2], ceilMode=True)),
        ((3, 2, 7, 7), dict(kernelSize=2, stride=2, padding=0, dilation=1, ceilMode=False)),
        ((2, 2, 14, 9), dict(kernelSize=3, stride=2, padding=0, dilation=1, ceilMode=True)),  # GoogLeNet-style
        ((1, 3, 8, 11), dict(kernelSize=3, stride=1, padding=1, dilation=2, ceilMode=False)),
    ]
    for i, (shape, a) in enumerate(max_cfgs):
        x = gen(shape, 10 + i)
        y = F.max_pool2d(x, a['kernelSize'], a['stride'], a['padding'], a['dilation'], ceil_mode=a['ceilMode'])
        cases.append(case('maxPool2d', [spec(shape, 10 + i)], a, y))
    avg_cfgs = [
        ((2, 3, 9, 11), dict(kernelSize=3, stride=2, padding=1, ceilMode=True, countIncludePad=True)),
        ((2, 3, 9, 11), dict(kernelSize=3, stride=2, padding=1, ceilMode=True, countIncludePad=False)),
        ((2, 3, 9, 11), dict(kernelSize=2, stride=2, padding=0, ceilMode=True, countIncludePad=True)),
        ((2, 3, 9, 11), dict(kernelSize=2, stride=2, padding=0, ceilMode=True, countIncludePad=False)),
        ((1, 5, 10, 7), dict(kernelSize=[3, 2], stride=[2, 2], padding=[1, 1], ceilMode=False, countIncludePad=False)),
        ((1, 5, 10, 7), dict(kernelSize=[3, 2], stride=[2, 2], padding=[1, 1], ceilMode=False, countIncludePad=True)),
        ((1, 2, 8, 8), dict(kernelSize=3, stride=3, padding=1, ceilMode=True, countIncludePad=True)),
    ]
    for i, (shape, a) in enumerate(avg_cfgs):
        x = gen(shape, 20 + i)
        y = F.avg_pool2d(x, a['kernelSize'], a['stride'], a['padding'], ceil_mode=a['ceilMode'],
                         count_include_pad=a['countIncludePad'])
        cases.append(case('avgPool2d', [spec(shape, 20 + i)], a, y))
    adaptive = [((2, 3, 13, 13), [5, 5]), ((2, 3, 7, 7), [7, 7]), ((1, 4, 13, 10), [5, 3]), ((1, 2, 5, 6), [7, 4]),
                ((2, 3, 9, 9), [1, 1])]
    for i, (shape, size) in enumerate(adaptive):
        x = gen(shape, 30 + i)
        cases.append(case('adaptiveAvgPool2d', [spec(shape, 30 + i)], {'outputSize': size},
                          F.adaptive_avg_pool2d(x, size)))
    return cases


def norm_cases():
    cases = []
    lrn = [((2, 7, 5, 6), dict(size=5, alpha=1e-4, beta=0.75, k=2.0)),   # AlexNet's
           ((2, 7, 5, 6), dict(size=3, alpha=0.5, beta=0.9, k=1.0)),
           ((1, 9, 4, 3), dict(size=4, alpha=2.0, beta=0.5, k=0.5)),     # even size: asymmetric window
           ((1, 3, 3, 5), dict(size=7, alpha=1.0, beta=0.75, k=1.0))]    # window wider than the channels
    for i, (shape, a) in enumerate(lrn):
        x = gen(shape, 40 + i, 2.0)
        cases.append(case('localResponseNorm', [spec(shape, 40 + i, 2.0)], a,
                          F.local_response_norm(x, a['size'], a['alpha'], a['beta'], a['k'])))
    # batchNorm: runningVar = |gen| + 0.25 so it is positive; weight and bias are plain streams.
    for i, (shape, eps, affine) in enumerate([((3, 5, 4, 6), 1e-5, True), ((2, 4, 3, 5), 1e-3, False),
                                              ((4, 6), 1e-5, True)]):
        C = shape[1]
        x = gen(shape, 50 + i, 2.0)
        mean = gen((C,), 60 + i, 0.5)
        var = gen((C,), 70 + i).abs() + 0.25
        w = gen((C,), 80 + i) if affine else None
        b = gen((C,), 90 + i) if affine else None
        y = F.batch_norm(x, mean, var, w, b, training=False, eps=eps)
        inputs = [spec(shape, 50 + i, 2.0), spec((C,), 60 + i, 0.5), spec((C,), 70 + i)]
        if affine:
            inputs += [spec((C,), 80 + i), spec((C,), 90 + i)]
        cases.append(case('batchNorm', inputs, {'eps': eps, 'affine': affine, 'varOffset': 0.25}, y))
    return cases


def softmax_cases():
    cases = []
    for i, (shape, dim) in enumerate([((3, 5, 7), 0), ((3, 5, 7), 1), ((3, 5, 7), 2), ((3, 5, 7), -1),
                                      ((4, 10), 1), ((2, 3, 4, 5), -3)]):
        x = gen(shape, 100 + i, 8.0)
        cases.append(case('softmax', [spec(shape, 100 + i, 8.0)], {'dim': dim}, F.softmax(x, dim)))
        cases.append(case('logSoftmax', [spec(shape, 100 + i, 8.0)], {'dim': dim}, F.log_softmax(x, dim)))
    return cases


def write(name, cases):
    path = os.path.join(OUT_DIR, name + '.json')
    with open(path, 'w') as f:
        json.dump({'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
    print('%s: %d cases, %d bytes' % (path, len(cases), os.path.getsize(path)))


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    write('pooling', pool_cases())
    write('normalization', norm_cases())
    write('softmax', softmax_cases())


if __name__ == '__main__':
    main()
