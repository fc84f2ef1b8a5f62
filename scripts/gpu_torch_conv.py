#!/usr/bin/env python3
"""PyTorch + cuDNN on the conv cases bench/gpu-conv.ts wrote (conv-cases.json), conv + bias + ReLU like
ours, timed by gpu_torch_bench.time_ms; then the
five torchvision networks whole at batch 1 and 32 when torchvision is importable. fp32: TF32 off;
cudnn.benchmark = True (cuDNN's own 'find'). Run by scripts/gpu-check.sh; needs torch with CUDA.

usage: python3 scripts/gpu_torch_conv.py --cases DIR/conv-cases.json --json DIR/bench-conv-torch.json
"""
import argparse
import json
import sys

import torch
import torch.nn.functional as F

from gpu_torch_bench import time_ms  # also switches TF32 off

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--device", default="cuda:0")
    a = p.parse_args()
    if not torch.cuda.is_available():
        print("gpu_torch_conv: torch has no CUDA device", file=sys.stderr)
        sys.exit(2)
    dev = torch.device(a.device)
    with open(a.cases) as f:
        cases = json.load(f)["cases"]
    name = torch.cuda.get_device_name(dev)
    print(f"torch {torch.__version__} on {name} (cudnn {torch.backends.cudnn.version()}, tf32 off, benchmark on)")
    results, nets = [], []
    with torch.no_grad():
        for c in cases:
            g = torch.Generator(device="cpu").manual_seed(1)
            x = (torch.rand(c["input"], generator=g) * 2 - 1).to(dev)
            w = (torch.rand(c["weight"], generator=g) * 0.2 - 0.1).to(dev)
            b = (torch.rand([c["weight"][0]], generator=g) * 0.2 - 0.1).to(dev)
            ms = time_ms(lambda: F.relu(F.conv2d(x, w, b, stride=c["stride"], padding=c["padding"])), dev)
            results.append({"name": c["name"], "ms": ms})
            print(f"{c['name']:<52} cudnn {ms:10.4f} ms")
            del x, w, b
        try:
            import torchvision.models as tvm
        except Exception as e:  # noqa: BLE001 - any import failure means: no network column
            tvm = None
            print(f"torchvision not importable ({e}): no networks")
        if tvm is not None:
            for net in ["alexnet", "vgg16", "googlenet", "resnet50", "densenet121"]:
                kw = {"aux_logits": False, "init_weights": False} if net == "googlenet" else {}
                m = getattr(tvm, net)(**kw).eval().to(dev)
                for batch in [1, 32]:
                    x = torch.rand([batch, 3, 224, 224], device=dev)
                    ms = time_ms(lambda: m(x), dev)
                    nets.append({"name": f"{net} N{batch}", "ms": ms})
                    print(f"{net} N{batch}: {ms:.3f} ms")
                del m
    with open(a.json, "w") as f:
        json.dump({"library": f"torch {torch.__version__} cudnn {torch.backends.cudnn.version()}", "device": name,
                   "results": results, "networks": nets}, f, indent=1)


if __name__ == "__main__":
    main()
