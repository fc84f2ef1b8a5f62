#!/usr/bin/env python3
"""PyTorch on the cases of bench/gpu-cases.json, timed like bench/gpu-ops.ts (batches of calls, one
synchronize per sample, median per call). fp32 only: TF32 is switched off for matmul and cuDNN so the
comparison with convnets' fp32 kernels is fair. Run by scripts/gpu-check.sh; needs torch with CUDA.

usage: python3 scripts/gpu_torch_bench.py [--json out.json] [--device cuda:0]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def run(c, x):
    a = c.get("args", {})
    op = c["op"]
    if op == "matmul":
        return torch.matmul(x[0], x[1])
    if op == "linear":
        return F.linear(x[0], x[1], x[2])
    if op == "conv2d":
        return F.conv2d(x[0], x[1], x[2], stride=a.get("stride", 1), padding=a.get("padding", 0), groups=a.get("groups", 1))
    if op == "maxPool2d":
        return F.max_pool2d(x[0], a["kernelSize"], a.get("stride"), a.get("padding", 0))
    if op == "avgPool2d":
        return F.avg_pool2d(x[0], a["kernelSize"], a.get("stride"), a.get("padding", 0))
    if op == "adaptiveAvgPool2d":
        return F.adaptive_avg_pool2d(x[0], a["outputSize"])
    if op == "localResponseNorm":
        return F.local_response_norm(x[0], a["size"], a["alpha"], a["beta"], a["k"])
    if op == "batchNormRelu":
        return F.relu(F.batch_norm(x[0], x[1], x[2], x[3], x[4], training=False))
    if op == "relu":
        return F.relu(x[0])
    if op == "addRelu":
        return F.relu(x[0] + x[1])
    if op == "softmax":
        return F.softmax(x[0], a["dim"])
    if op == "cat":
        return torch.cat(x, a["dim"])
    raise ValueError("unknown op " + op)


def time_ms(fn, dev):
    """Median ms per call of fn(): 3 warm-ups, then 7 samples of ~20 ms of calls between synchronizes."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize(dev)
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize(dev)
    once = max((time.perf_counter() - t0) * 1e3, 1e-3)
    reps = max(1, min(200, round(20 / once)))
    samples = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        torch.cuda.synchronize(dev)
        samples.append((time.perf_counter() - t0) * 1e3 / reps)
    return statistics.median(samples)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--json")
    p.add_argument("--device", default="cuda:0")
    args = p.parse_args()
    if not torch.cuda.is_available():
        print("gpu_torch_bench: torch has no CUDA device", file=sys.stderr)
        sys.exit(2)
    dev = torch.device(args.device)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "bench", "gpu-cases.json")) as f:
        cases = json.load(f)["cases"]
    name = torch.cuda.get_device_name(dev)
    print(f"torch {torch.__version__} on {name} (cudnn {torch.backends.cudnn.version()}, tf32 off)")
    results = []
    with torch.no_grad():
        for c in cases:
            g = torch.Generator(device="cpu").manual_seed(1)
            x = []
            for i, s in enumerate(c["inputs"]):
                lo = 0.5 if (c["op"] == "batchNormRelu" and i == 2) else -1.0
                x.append((torch.rand(s, generator=g) * (1 - lo) + lo).to(dev))
            ms = time_ms(lambda: run(c, x), dev)
            gflops = c["flops"] / ms / 1e6 if c.get("flops") else None
            results.append({"name": c["name"], "ms": ms, "gflops": gflops})
            extra = f"  {gflops:7.0f} GFLOP/s" if gflops else ""
            print(f"{c['name']:<46} {ms:10.4f} ms{extra}")
            del x
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"library": "torch " + torch.__version__, "device": name, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
