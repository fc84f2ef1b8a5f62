#!/usr/bin/python3
"""torchvision's answer for `convnets classify`: the same checkpoint and images through PIL + the weights'
own preset, printed as the same JSON (top-k index, label, probability), so the two can be diffed.
  /usr/bin/python3 scripts/torchvision_classify.py resnet18 ~/.cache/convnets/checkpoints/resnet18-f37072fd.pth photo.jpg
Optional: --weights NAME (default DEFAULT) picks the preset, --top K.
"""
import argparse
import json

import torch
import torchvision
from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('checkpoint')
    ap.add_argument('images', nargs='+')
    ap.add_argument('--weights', default='DEFAULT')
    ap.add_argument('--top', type=int, default=5)
    a = ap.parse_args()
    enum = torchvision.models.get_model_weights(a.model)
    w = enum.DEFAULT if a.weights == 'DEFAULT' else enum[a.weights]
    kwargs = {'transform_input': True, 'aux_logits': False, 'init_weights': False} if a.model == 'googlenet' else {}
    m = torchvision.models.get_model(a.model, weights=None, **kwargs).eval()
    sd = torch.load(a.checkpoint, map_location='cpu')
    m.load_state_dict({k: v for k, v in sd.items() if not k.startswith('aux')}, strict=a.model != 'densenet121')
    preset = w.transforms()
    out = []
    with torch.no_grad():
        for path in a.images:
            x = preset(Image.open(path).convert('RGB')).unsqueeze(0)
            p = torch.softmax(m(x), 1)[0]
            v, i = p.topk(a.top)
            out.append({'image': path, 'top': [{'index': int(k), 'label': w.meta['categories'][k], 'probability': float(q)} for q, k in zip(v, i)]})
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
