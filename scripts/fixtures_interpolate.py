#!/usr/bin/python3
"""PyTorch reference outputs for F.interpolate (test/fixtures/ops/interpolate.json): every mode, up and
down, odd sizes, antialias on and off, align_corners, scale factors with and without recompute.

Inputs come from the shared generator (see fixtures_ops.py); each case stores the input spec, the
arguments and torch's output. Run with Debian's torch: /usr/bin/python3 scripts/fixtures_interpolate.py
"""
import json
import os

import torch
import torch.nn.functional as F

from fixtures_ops import OUT_DIR, case, gen, spec

SHAPES = {
    'up': ((1, 2, 5, 7), (11, 13)),
    'down': ((1, 2, 13, 17), (5, 6)),
    'mixed': ((2, 1, 9, 10), (4, 15)),
    'far down': ((1, 2, 23, 31), (3, 4)),
    'same': ((1, 1, 6, 5), (6, 5)),
    'double': ((1, 1, 4, 3), (8, 6)),
    'to 1x1': ((1, 2, 5, 4), (1, 1)),
}


def cases():
    out = []
    seed = 100
    for mode in ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area']:
        interp = mode in ('bilinear', 'bicubic')
        variants = [dict()]
        if interp:
            variants = [dict(align_corners=False), dict(align_corners=True), dict(align_corners=False, antialias=True),
                        dict(align_corners=True, antialias=True)]
        for label, (shape, size) in SHAPES.items():
            for v in variants:
                seed += 1
                x = gen(shape, seed)
                y = F.interpolate(x, size=size, mode=mode, **v)
                args = {'size': list(size), 'mode': mode, 'label': label}
                if 'align_corners' in v:
                    args['alignCorners'] = v['align_corners']
                if v.get('antialias'):
                    args['antialias'] = True
                out.append(case('interpolate', [spec(shape, seed)], args, y))
    # scale factors: the factor itself sets the grid unless recompute_scale_factor
    for mode in ['nearest', 'bilinear', 'bicubic']:
        for sf, recompute, aa in [(1.7, False, False), ((0.45, 2.3), False, False), ((0.45, 2.3), True, False),
                                  (0.3, False, True), ((0.6, 0.35), True, True)]:
            if aa and mode == 'nearest':
                continue
            seed += 1
            shape = (1, 2, 11, 9)
            x = gen(shape, seed)
            y = F.interpolate(x, scale_factor=sf, mode=mode, recompute_scale_factor=recompute,
                              **({'antialias': True} if aa else {}))
            args = {'scaleFactor': list(sf) if isinstance(sf, tuple) else sf, 'mode': mode,
                    'recomputeScaleFactor': recompute}
            if aa:
                args['antialias'] = True
            out.append(case('interpolate', [spec(shape, seed)], args, y))
    return out


def main():
    cs = cases()
    with open(os.path.join(OUT_DIR, 'interpolate.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'cases': cs}, f, separators=(',', ':'))
    print('interpolate.json: %d cases, %d values' % (len(cs), sum(len(c['output']) for c in cs)))


if __name__ == '__main__':
    main()
