#!/usr/bin/env python3
# PyTorch's side of scripts/gpu-tc-check.sh: the five torchvision networks at batch 1 and 32 (224²) on the GPU,
# each precision as a PyTorch user runs it, with CUDA graphs: fp32 (TF32 off), tf32 (matmul/cudnn TF32 on),
# bf16 (autocast, channels_last), fp16 (model.half(), channels_last); cudnn.benchmark on. Median of 20
# synchronised replays. Usage: gpu_torch_precision.py OUT_JSON [--quick]
import json
import statistics
import sys
import time

import torch
import torchvision.models as tvm

quick = "--quick" in sys.argv
torch.backends.cudnn.benchmark = True
dev = torch.device("cuda")
rows = []
for net in ["alexnet", "vgg16", "googlenet", "resnet50", "densenet121"]:
    kw = {"aux_logits": False, "init_weights": True} if net == "googlenet" else {}
    base = getattr(tvm, net)(weights=None, **kw).eval().to(dev)
    for batch in ([1] if quick else [1, 32]):
        row = {"net": net, "batch": batch, "ms": {}}
        for prec in ["fp32", "tf32", "bf16", "fp16"]:
            torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
            torch.backends.cudnn.allow_tf32 = prec == "tf32"
            m = base
            x = torch.randn(batch, 3, 224, 224, device=dev)
            if prec in ("bf16", "fp16"):
                m = base.to(memory_format=torch.channels_last)
                x = x.to(memory_format=torch.channels_last)
            if prec == "fp16":
                m = m.half()
                x = x.half()

            def fwd():
                if prec == "bf16":
                    with torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False):
                        return m(x)
                return m(x)

            try:
                with torch.no_grad():
                    s = torch.cuda.Stream()
                    s.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(s):
                        for _ in range(3):
                            fwd()
                    torch.cuda.current_stream().wait_stream(s)
                    g = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(g):
                        y = fwd()
                    ts = []
                    for _ in range(23):
                        torch.cuda.synchronize()
                        t0 = time.perf_counter()
                        g.replay()
                        torch.cuda.synchronize()
                        ts.append((time.perf_counter() - t0) * 1e3)
                row["ms"][prec] = statistics.median(ts[3:])
                del g, y
            except Exception as e:  # report, keep going
                row["ms"][prec] = "failed: %s" % e
            if prec == "fp16":
                base = base.float().to(memory_format=torch.contiguous_format)
        print(json.dumps(row), flush=True)
        rows.append(row)
    del base
    torch.cuda.empty_cache()
json.dump({"torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "rows": rows}, open(sys.argv[1], "w"), indent=1)
