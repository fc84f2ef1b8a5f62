#!/usr/bin/python3
"""Writes lib/models/weights.json from the installed torchvision's own metadata: for every ImageNet weights
entry of the 20 architectures, its URL, file name, sha256 prefix (the part of the file name torch.hub
checks), parameter count, preset (ImageClassification's resize/crop/mean/std/interpolation), accuracies and
recipe; and the 1000 ImageNet category names once.
Run with Debian's torchvision: /usr/bin/python3 scripts/make_weights_table.py
"""
import json
import os
import re

import torchvision
from torchvision import models

ARCHS = ['alexnet', 'vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn', 'googlenet',
         'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152',
         'densenet121', 'densenet161', 'densenet169', 'densenet201']
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib', 'models', 'weights.json')


def preset(transforms):
    t = transforms()
    return {
        'resizeSize': t.resize_size[0] if t.resize_size else None,
        'cropSize': t.crop_size[0],
        'mean': list(t.mean),
        'std': list(t.std),
        'interpolation': t.interpolation.value,
        'antialias': bool(getattr(t, 'antialias', True)),
    }


def main():
    categories = None
    table = {}
    for arch in ARCHS:
        enum = models.get_model_weights(arch)
        entries = {}
        for w in enum:
            file = w.url.rsplit('/', 1)[1]
            m = re.search(r'-([a-f0-9]+)\.', file)
            cats = w.meta.get('categories')
            if cats is not None:
                if categories is None:
                    categories = list(cats)
                assert list(cats) == categories, (arch, w.name)
            entries[w.name] = {
                'url': w.url,
                'file': file,
                'sha256Prefix': m.group(1) if m else None,
                'numParams': w.meta['num_params'],
                'preset': preset(w.transforms),
                # vgg16's IMAGENET1K_FEATURES lists NaN accuracies (it cannot classify): left out
                'metrics': {k: {mk.replace('acc@', 'acc'): mv for mk, mv in v.items() if mv == mv} for k, v in w.meta.get('_metrics', {}).items()},
                'recipe': w.meta.get('recipe'),
                'hasCategories': cats is not None,
            }
        table[arch] = {'default': enum.DEFAULT.name, 'weights': entries}
    with open(OUT, 'w') as f:
        json.dump({'torchvision': torchvision.__version__, 'architectures': table, 'categories': categories}, f, indent=1)
    print('wrote', OUT, sum(len(v['weights']) for v in table.values()), 'entries')


if __name__ == '__main__':
    main()
