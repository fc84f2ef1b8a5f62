#!/usr/bin/python3
"""Converts torchvision weights into a safetensors file that convnets' io.loadSafetensors reads.

  /usr/bin/python3 scripts/export_torchvision.py resnet50-0676ba61.pth resnet50.safetensors
  /usr/bin/python3 scripts/export_torchvision.py --model resnet50 --weights IMAGENET1K_V1 resnet50.safetensors
  /usr/bin/python3 scripts/export_torchvision.py --model googlenet --weights googlenet.pth --dtype F16 out.safetensors

The input may be a state_dict, a {'state_dict': ...} checkpoint or a pickled nn.Module. Tensors are written
as F32 (or F16/BF16 with --dtype; convnets widens them on load). Keys are written as they are: convnets'
loadStateDict itself maps torchvision's legacy DenseNet names and drops GoogLeNet aux heads when unused.
Uses the `safetensors` package when installed, else the small writer below (same format).
"""
import argparse
import json
import os
import struct
import sys
import tempfile

import torch

DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}


def load_state_dict(args):
    if args.model and not (args.weights and os.path.exists(args.weights)):
        import torchvision.models as tvm  # a weights enum name such as IMAGENET1K_V1 (the file must be cached)
        return getattr(tvm, args.model)(weights=args.weights).state_dict()
    obj = torch.load(args.weights if args.model else args.input, map_location='cpu')
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict) and 'state_dict' in obj:
        return obj['state_dict']
    return obj


def write_safetensors(tensors, path, metadata):
    """The safetensors layout: u64 header length, JSON header (padded to 8 bytes), contiguous data."""
    header, offset, blobs = {'__metadata__': metadata}, 0, []
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.view(torch.uint8).numpy().tobytes() if t.dim() else t.reshape(1).view(torch.uint8).numpy().tobytes()
        dtype = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16'}[t.dtype]
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    # write beside the target, then rename: never a half-written file under the final name
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(struct.pack('<Q', len(text)))
            f.write(text)
            for b in blobs:
                f.write(b)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('input', nargs='?', help='a .pth file (state_dict, checkpoint or module)')
    p.add_argument('output', help='the .safetensors file to write')
    p.add_argument('--model', help='a torchvision model name (with --weights: a .pth path or a weights enum name)')
    p.add_argument('--weights')
    p.add_argument('--dtype', choices=sorted(DTYPES), default='F32')
    args = p.parse_args()
    if not args.input and not args.model:
        p.error('give a .pth file or --model')
    sd = load_state_dict(args)
    tensors = {k: v.detach().to(DTYPES[args.dtype]) for k, v in sd.items() if torch.is_tensor(v)}
    meta = {'format': 'pt', 'source': os.path.basename(args.input or f'{args.model}:{args.weights}')}
    try:
        from safetensors.torch import save_file
        save_file(tensors, args.output, metadata=meta)
    except ImportError:
        write_safetensors(tensors, args.output, meta)
    print(f'wrote {len(tensors)} tensors to {args.output}', file=sys.stderr)


if __name__ == '__main__':
    main()
