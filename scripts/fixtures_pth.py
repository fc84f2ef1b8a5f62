#!/usr/bin/python3
"""torch.save fixtures (test/fixtures/pth/) for io.loadPth, in both containers.

- tensors.{zip,legacy}.pth: every storage dtype (float/half/bfloat16/double/long/int/uint8/bool), a strided
  view with an offset, two tensors sharing one storage (one transposed), a Parameter, a 0-d tensor and a
  nested dict; tensors.json holds each entry's dtype, shape and values (as torch's .float() gives them).
- resnet18.legacy.pth and densenet121_legacy_keys.pth: whole torchvision networks whose parameters are
  all overlapping strided windows (as_strided) into one small random storage — a few kB on disk instead of
  tens of MB — the DenseNet with torchvision's old key names ('norm.1', 'conv.2', ...). networks.json holds
  torchvision's logits for the generator's input (fixtures_ops.gen, shape [1, 3, 64, 64], seed 7).
Run with Debian's torch: /usr/bin/python3 scripts/fixtures_pth.py
"""
import json
import os
import re
from collections import OrderedDict

import torch
import torchvision

from fixtures_ops import gen

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'pth')


def values(t):
    return [float('%.9g' % v) for v in t.detach().float().reshape(-1).tolist()]


def tensors():
    g = torch.Generator().manual_seed(3)
    base = torch.randn(6, 5, generator=g)
    shared = torch.randn(3, 4, generator=g)
    sd = OrderedDict()
    sd['f32'] = base
    sd['f16'] = torch.randn(2, 3, generator=g).half()
    sd['bf16'] = torch.randn(5, generator=g).bfloat16()
    sd['f64'] = torch.randn(2, 2, generator=g).double() * 1e3
    sd['i64'] = torch.tensor([[-3, 0, 2 ** 40], [7, 8, 9]], dtype=torch.int64)
    sd['i32'] = torch.tensor([-5, 6, 2 ** 30], dtype=torch.int32)
    sd['u8'] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    sd['bool'] = torch.tensor([True, False, True])
    sd['view'] = base[1:, ::2]                      # offset 5, strides (5, 2)
    sd['shared'] = shared
    sd['shared_t'] = shared.t()                     # same storage, strides (1, 4)
    sd['param'] = torch.nn.Parameter(torch.randn(4, generator=g))
    sd['scalar'] = torch.tensor(42)
    sd['nested'] = {'inner': {'w': torch.arange(6, dtype=torch.float32).reshape(2, 3)}, 'epoch': 3}
    torch.save(sd, os.path.join(OUT, 'tensors.zip.pth'))
    torch.save(sd, os.path.join(OUT, 'tensors.legacy.pth'), _use_new_zipfile_serialization=False)
    flat = OrderedDict()
    for k, v in sd.items():
        if isinstance(v, dict):
            flat['nested.inner.w'] = v['inner']['w']
        else:
            flat[k] = v
    ref = {k: {'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape), 'values': values(v)} for k, v in flat.items()}
    with open(os.path.join(OUT, 'tensors.json'), 'w') as f:
        json.dump(ref, f, indent=0)


def windowed_state_dict(model, seed):
    """Every float tensor of the state dict as an overlapping strided window into one random storage."""
    g = torch.Generator().manual_seed(seed)
    store = torch.randn(20011, generator=g) * 0.08
    pos_store = torch.rand(4001, generator=g) * 0.5 + 0.75      # running_var, BN weight: positive
    sd = OrderedDict()
    for i, (k, v) in enumerate(model.state_dict().items()):
        if not v.is_floating_point():
            sd[k] = v.clone()
            continue
        src = pos_store if (k.endswith('running_var') or (v.dim() == 1 and k.endswith('weight'))) else store
        # strides: last dim 1, others small co-primes, so windows overlap but differ
        primes = [13, 7, 3]
        stride = [1] * v.dim()
        for d in range(v.dim() - 2, -1, -1):
            stride[d] = primes[(v.dim() - 2 - d) % 3]
        span = sum((s - 1) * st for s, st in zip(v.shape, stride)) + 1
        offset = (i * 37) % (src.numel() - span) if src.numel() > span else 0
        assert offset + span <= src.numel(), k
        sd[k] = src.as_strided(tuple(v.shape), tuple(stride), offset)
    return sd


def networks():
    x = gen([1, 3, 64, 64], 7)
    out = {}
    m = torchvision.models.resnet18().eval()
    sd = windowed_state_dict(m, 18)
    m.load_state_dict(sd)
    torch.save(sd, os.path.join(OUT, 'resnet18.legacy.pth'), _use_new_zipfile_serialization=False)
    out['resnet18'] = values(m(x)[0])
    m = torchvision.models.densenet121().eval()
    sd = windowed_state_dict(m, 121)
    m.load_state_dict(sd)
    legacy = OrderedDict()
    pat = re.compile(r'^(.*denselayer\d+\.(?:norm|relu|conv))((?:[12])\.(?:weight|bias|running_mean|running_var))$')
    for k, v in sd.items():
        mm = pat.match(k)
        legacy[mm.group(1) + '.' + mm.group(2) if mm else k] = v
    assert any('.norm.1.' in k for k in legacy)
    torch.save(legacy, os.path.join(OUT, 'densenet121_legacy_keys.pth'))
    out['densenet121'] = values(m(x)[0])
    with open(os.path.join(OUT, 'networks.json'), 'w') as f:
        json.dump({'input': {'shape': [1, 3, 64, 64], 'seed': 7, 'scale': 1.0}, 'logits': out}, f)


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    tensors()
    networks()
    print('wrote', OUT)
