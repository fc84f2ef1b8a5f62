#!/usr/bin/python3
"""PyTorch reference outputs for a few conv2d configurations (test/fixtures/conv/conv2d.json).

Inputs, weights and biases come from a sin-based generator implemented identically in
test/algorithms/fixtures.test.ts, so the fixture holds only configurations and outputs.
Run with Debian's torch: /usr/bin/python3 scripts/fixtures_conv.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F


def sin_values(n, seed, scale):
    # value i = scale * sin(0.37 * i + 1.3 * seed), rounded to float32 (same in TypeScript).
    return torch.tensor([scale * math.sin(0.37 * i + 1.3 * seed) for i in range(n)], dtype=torch.float64).float()


CONFIGS = [
    dict(name="3x3 p1 bias relu batch2", input=[2, 3, 9, 9], weight=[4, 3, 3, 3], stride=1, padding=1, dilation=1, groups=1, bias=True, relu=True),
    dict(name="3x3 s2 p1 groups2", input=[1, 4, 10, 10], weight=[6, 2, 3, 3], stride=2, padding=1, dilation=1, groups=2, bias=True, relu=False),
    dict(name="depthwise 3x3 p2 dilation2", input=[1, 6, 8, 8], weight=[6, 1, 3, 3], stride=1, padding=2, dilation=2, groups=6, bias=True, relu=False),
    dict(name="5x5 s2 p2 no bias", input=[1, 3, 11, 11], weight=[5, 3, 5, 5], stride=2, padding=2, dilation=1, groups=1, bias=False, relu=False),
    dict(name="4x2 same", input=[1, 4, 7, 7], weight=[4, 4, 4, 2], stride=1, padding="same", dilation=1, groups=1, bias=True, relu=False),
    dict(name="1x1 relu", input=[1, 5, 6, 6], weight=[8, 5, 1, 1], stride=1, padding=0, dilation=1, groups=1, bias=True, relu=True),
    dict(name="3x3 p1 C17 K20 (winograd)", input=[1, 17, 13, 12], weight=[20, 17, 3, 3], stride=1, padding=1, dilation=1, groups=1, bias=True, relu=False),
]


def main():
    out = []
    for i, c in enumerate(CONFIGS):
        x = sin_values(math.prod(c["input"]), 3 * i + 1, 1.0).reshape(c["input"])
        w = sin_values(math.prod(c["weight"]), 3 * i + 2, 0.5).reshape(c["weight"])
        b = sin_values(c["weight"][0], 3 * i + 3, 0.5) if c["bias"] else None
        y = F.conv2d(x.double(), w.double(), None if b is None else b.double(), stride=c["stride"], padding=c["padding"],
                     dilation=c["dilation"], groups=c["groups"])
        if c["relu"]:
            y = torch.relu(y)
        out.append(dict(c, seeds=[3 * i + 1, 3 * i + 2, 3 * i + 3], outputShape=list(y.shape),
                        output=[float("%.7g" % v) for v in y.flatten().tolist()]))
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "conv", "conv2d.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "configs": out}, f, separators=(",", ":"))
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
