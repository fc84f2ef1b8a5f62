#!/usr/bin/python3
"""Dumps torchvision 0.14's module tree, state_dict keys + shapes, parameter count and conv/linear MACs
at 224x224 for each network into test/fixtures/models/keys/<name>.json (the tests compare lib/models to it).

Run with Debian's python3-torch/python3-torchvision: /usr/bin/python3 scripts/dump_torchvision_keys.py
"""
import json
import os
import sys

import torch
import torchvision.models as tvm

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'models', 'keys')

NETS = {
    'alexnet': lambda: tvm.alexnet(),
    **{n: (lambda n=n: getattr(tvm, n)()) for n in
       ['vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn',
        'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152',
        'densenet121', 'densenet161', 'densenet169', 'densenet201']},
    'googlenet': lambda: tvm.googlenet(aux_logits=False, init_weights=False),
    'googlenet_aux': lambda: tvm.googlenet(aux_logits=True, init_weights=False),
}


def macs_at(model, size):
    """conv: K*C/g*R*S*OH*OW, linear: in*out, per image, measured by forward hooks."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, torch.nn.Conv2d):
            k, cg, r, s = m.weight.shape
            total[0] += k * cg * r * s * out.shape[2] * out.shape[3]
        elif isinstance(m, torch.nn.Linear):
            total[0] += m.in_features * m.out_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hs:
        h.remove()
    return total[0]


def main(names):
    os.makedirs(OUT, exist_ok=True)
    for name in names or NETS:
        torch.manual_seed(0)
        model = NETS[name]()
        rec = {
            'torchvision': __import__('torchvision').__version__,
            'params': sum(p.numel() for p in model.parameters()),
            'macs224': macs_at(model, 224),
            'modules': [[n, type(m).__name__] for n, m in model.named_modules() if n],
            'stateDict': [[k, list(v.shape)] for k, v in model.state_dict().items()],
        }
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            json.dump(rec, f, separators=(',', ':'))
        print(name, rec['params'], rec['macs224'], len(rec['stateDict']))


if __name__ == '__main__':
    main(sys.argv[1:])
