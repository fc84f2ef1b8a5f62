#!/usr/bin/python3
# PyTorch side of bench/networks.ts, run by it as a subprocess (Debian's torch 1.13 / torchvision 0.14).
# It loads the SAME weights the bench wrote with io.saveSafetensors (CACHE/<net>.safetensors), writes the
# output on the shared input (CACHE/input.safetensors) to CACHE/<net>.torch.f32 so the bench can check
# agreement before timing, exports the model to CACHE/<net>.onnx for onnxruntime-node (re-exported when
# older than the weights), then times forwards on request.
# Protocol: one JSON object per line on stdin, one JSON reply per line on stdout (nothing else goes there):
#   {"cmd": "load", "net": "resnet50"}       -> {"ok": true, "onnx": path | null, "onnxError": str | null, "version": str}
#   {"cmd": "time", "net": "resnet50", "reps": 3} -> {"ms": [..]}   (wall time of each forward)
#   {"cmd": "free", "net": "resnet50"}       -> {"ok": true}
#   {"cmd": "quit"}
# Usage: bench_torch_networks.py CACHE_DIR THREADS   (the bench sets OMP_WAIT_POLICY=ACTIVE)
import json
import os
import struct
import sys
import time
import traceback

import numpy as np
import torch
import torchvision
import torchvision.models as tvm

# The protocol owns the real stdout; anything else printed there (exporter diagnostics) goes to stderr.
PROTO = os.fdopen(os.dup(1), 'w')
os.dup2(2, 1)
sys.stdout = sys.stderr

CACHE = sys.argv[1]
THREADS = int(sys.argv[2])
torch.set_num_threads(THREADS)

BUILDERS = {
    'alexnet': lambda: tvm.alexnet(weights=None),
    'vgg16': lambda: tvm.vgg16(weights=None),
    'googlenet': lambda: tvm.googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=False),
    'resnet18': lambda: tvm.resnet18(weights=None),
    'resnet50': lambda: tvm.resnet50(weights=None),
    'densenet121': lambda: tvm.densenet121(weights=None),
}
DTYPES = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64}


def read_safetensors(path):
    """Minimal reader (no python3-safetensors on Debian): 8-byte header length, JSON header, raw data."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        b, end = e['data_offsets']
        arr = np.frombuffer(data, dtype=DTYPES[e['dtype']], count=(end - b) // np.dtype(DTYPES[e['dtype']]).itemsize,
                            offset=8 + n + b)
        out[name] = torch.from_numpy(arr.reshape(e['shape']).copy())
    return out


models = {}
x = None


def build_uninitialised(net):
    """The torchvision model without its random init (seconds for VGG): every weight is loaded right after."""
    names = ['uniform_', 'normal_', 'constant_', 'kaiming_uniform_', 'kaiming_normal_', 'trunc_normal_', 'xavier_uniform_']
    saved = {n: getattr(torch.nn.init, n) for n in names}
    try:
        for n in names:
            setattr(torch.nn.init, n, lambda t, *a, **k: t)
        return BUILDERS[net]()
    finally:
        for n, f in saved.items():
            setattr(torch.nn.init, n, f)


def load(net, batch=1):
    global x
    if x is None:
        x = read_safetensors(os.path.join(CACHE, 'input.safetensors'))['input']
    weights_path = os.path.join(CACHE, net + '.safetensors')
    model = build_uninitialised(net)
    state = read_safetensors(weights_path)
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith('num_batches_tracked')]
    if missing or result.unexpected_keys:
        raise RuntimeError(f'{net}: missing keys {missing[:5]}, unexpected keys {result.unexpected_keys[:5]}')
    model.eval()
    with torch.no_grad():
        y = model(x)
    y.numpy().astype(np.float32).tofile(os.path.join(CACHE, net + '.torch.f32'))
    models[net] = model
    # Exported for the input's batch size (a static shape, like the batch-1 file profile-network.ts reads).
    onnx_path = os.path.join(CACHE, net + ('.onnx' if batch == 1 else f'.b{batch}.onnx'))
    onnx_error = None
    if not os.path.exists(onnx_path) or os.path.getmtime(onnx_path) < os.path.getmtime(weights_path):
        try:
            tmp = onnx_path + '.tmp'
            with torch.no_grad():
                torch.onnx.export(model, x, tmp, opset_version=13, input_names=['x'], output_names=['y'])
            os.replace(tmp, onnx_path)
        except Exception as e:  # noqa: BLE001 -- reported to the bench, which then skips ORT for this net
            onnx_error = f'{type(e).__name__}: {e}'
    return {'ok': True, 'onnx': None if onnx_error else onnx_path, 'onnxError': onnx_error,
            'version': f'{torch.__version__} / torchvision {torchvision.__version__}'}


def timed(net, reps):
    model = models[net]
    ms = []
    with torch.no_grad():
        for _ in range(reps):
            t0 = time.perf_counter()
            model(x)
            ms.append((time.perf_counter() - t0) * 1e3)
    return {'ms': ms}


def main():
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg['cmd'] == 'load':
                reply = load(msg['net'], int(msg.get('batch', 1)))
            elif msg['cmd'] == 'time':
                reply = timed(msg['net'], int(msg.get('reps', 1)))
            elif msg['cmd'] == 'free':
                models.pop(msg['net'], None)
                reply = {'ok': True}
            elif msg['cmd'] == 'quit':
                return
            else:
                reply = {'error': f"unknown command {msg['cmd']}"}
        except Exception as e:  # noqa: BLE001 -- every failure goes back to the bench as a message
            reply = {'error': f'{type(e).__name__}: {e}', 'trace': traceback.format_exc()}
        PROTO.write(json.dumps(reply) + '\n')
        PROTO.flush()


if __name__ == '__main__':
    main()
