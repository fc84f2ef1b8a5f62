#!/usr/bin/python3
"""Reference outputs of the networks for test/models/parity.test.ts, computed by PyTorch in float64.

Every parameter and BatchNorm running statistic, and the input, come from a counter-based generator
implemented identically in test/helpers/counter_rng.ts (element i of state_dict tensor #t is a hash of
(t, i) mapped to a range in float64, rounded once to float32), so the fixtures hold only outputs: the
logits and the input of the final Linear layer (the pooled features), as float32.

Run with Debian's torch 1.13 / torchvision 0.14:  /usr/bin/python3 scripts/fixtures_models.py [names...]
"""
import json
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision.models as tvm

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'models')
INPUT_STREAM = 999_983
NUM_CLASSES = 10
BATCH = 2


def hash32(x):
    """lowbias32 on uint32 numpy arrays (multiplication wraps mod 2^32 like Math.imul)."""
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def counter_values(t, n, lo, hi):
    key = hash32(np.array([(t * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF], dtype=np.uint32))[0]
    i = np.arange(n, dtype=np.uint32)
    u = (hash32(i ^ key).astype(np.float64) + 0.5) / 4294967296.0
    return (lo + (hi - lo) * u).astype(np.float32)


def range_for(key, shape):
    if key.endswith('num_batches_tracked'):
        return None
    if key.endswith('running_var'):
        return (0.5, 1.5)
    if key.endswith('running_mean') or key.endswith('bias'):
        return (-0.1, 0.1)
    if re.match(r'^layer\d+\.\d+\.bn3\.weight$', key):
        return (0.1, 0.3)
    if key.endswith('weight') and len(shape) == 1:
        return (0.5, 1.5)
    fan_in = int(np.prod(shape[1:]))
    bound = math.sqrt(6 / fan_in)
    return (-bound, bound)


def fill_model(model):
    sd = model.state_dict()
    with torch.no_grad():
        for index, (key, t) in enumerate(sd.items()):
            r = range_for(key, list(t.shape))
            if r is None:
                continue
            v = counter_values(index, t.numel(), r[0], r[1]).reshape(tuple(t.shape))
            t.copy_(torch.from_numpy(v.astype(np.float64)))


def counter_input(shape):
    return torch.from_numpy(counter_values(INPUT_STREAM, int(np.prod(shape)), -1.5, 1.5).astype(np.float64).reshape(shape))


class AlexNetOriginal(nn.Module):
    """The 2012 paper's AlexNet, same module tree as lib/models/alexnet.ts alexnetOriginal."""

    def __init__(self, num_classes=1000):
        super().__init__()
        lrn = lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 36, 4096), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


ODD = (199, 237)
# VGG is 15 GMACs per 224² image: its odd size is smaller, so forcing every conv algorithm stays cheap
VGG_ODD = (115, 141)
# name → (builder, options recorded for the TS side, input sizes)
NETS = {
    'alexnet': (lambda: tvm.alexnet(num_classes=NUM_CLASSES), {}, [(224, 224), ODD]),
    'alexnetOriginal': (lambda: AlexNetOriginal(NUM_CLASSES), {}, [(227, 227), (235, 251)]),
    'vgg11': (lambda: tvm.vgg11(num_classes=NUM_CLASSES), {}, [(224, 224), VGG_ODD]),
    'vgg11_bn': (lambda: tvm.vgg11_bn(num_classes=NUM_CLASSES), {}, [(224, 224), VGG_ODD]),
    'vgg16': (lambda: tvm.vgg16(num_classes=NUM_CLASSES), {}, [(224, 224), VGG_ODD]),
    'vgg16_bn': (lambda: tvm.vgg16_bn(num_classes=NUM_CLASSES), {}, [(224, 224), VGG_ODD]),
    'googlenet': (lambda: tvm.googlenet(num_classes=NUM_CLASSES, aux_logits=False, transform_input=True, init_weights=False),
                  {'transformInput': True}, [(224, 224), ODD]),
    'resnet18': (lambda: tvm.resnet18(num_classes=NUM_CLASSES), {}, [(224, 224), ODD]),
    'resnet50': (lambda: tvm.resnet50(num_classes=NUM_CLASSES), {}, [(224, 224), ODD]),
    'densenet121': (lambda: tvm.densenet121(num_classes=NUM_CLASSES), {}, [(224, 224), ODD]),
}


def last_linear(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]


def make(name):
    build, options, sizes = NETS[name]
    torch.manual_seed(0)
    model = build()
    fill_model(model)
    model = model.double().eval()
    captured = {}
    last_linear(model).register_forward_hook(lambda m, inp, out: captured.__setitem__('penultimate', inp[0].detach()))
    blobs, cases, offset = [], [], 0
    for h, w in sizes:
        x = counter_input((BATCH, 3, h, w))
        with torch.no_grad():
            logits = model(x)
        case = {'input': [BATCH, 3, h, w], 'outputs': {}}
        for what, t in (('logits', logits), ('penultimate', captured['penultimate'])):
            a = t.numpy().astype(np.float32)
            case['outputs'][what] = {'shape': list(a.shape), 'offset': offset}
            blobs.append(a.tobytes())
            offset += a.size
        cases.append(case)
        print(name, h, w, 'logits', logits[0, :4].tolist(), flush=True)
    meta = {'model': name, 'numClasses': NUM_CLASSES, 'options': options, 'torch': torch.__version__, 'cases': cases}
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(OUT, name + '.bin'), 'wb') as f:
        f.write(b''.join(blobs))


def rng_check():
    """A few generator values, so a test proves the TS generator matches this one bit for bit."""
    rows = []
    for t, n, lo, hi in [(0, 8, -1.0, 1.0), (7, 5, 0.5, 1.5), (123456, 6, -0.1, 0.1), (INPUT_STREAM, 4, -1.5, 1.5)]:
        rows.append({'t': t, 'lo': lo, 'hi': hi, 'values': [float(v) for v in counter_values(t, n, lo, hi)]})
    big = counter_values(3, 3_000_000, -1.0, 1.0)
    rows.append({'t': 3, 'lo': -1.0, 'hi': 1.0, 'tail': [float(v) for v in big[-3:]], 'n': 3_000_000})
    with open(os.path.join(OUT, 'rng_check.json'), 'w') as f:
        json.dump(rows, f, indent=1)


if __name__ == '__main__':
    torch.set_num_threads(int(os.environ.get('THREADS', '2')))
    os.makedirs(OUT, exist_ok=True)
    rng_check()
    for n in sys.argv[1:] or NETS:
        make(n)
