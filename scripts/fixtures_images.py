#!/usr/bin/python3
"""Image fixtures (test/fixtures/images/) from photographs Debian ships, with PIL + torchvision references.

- chelsea.png: skimage's Chelsea the cat (CC0, Stefan van der Walt), cropped to 330x300 (PNG parity);
  coffee.jpg: skimage's coffee cup (CC0, Rachel Michetti) encoded as JPEG quality 90 (JPEG parity).
  For each, torchvision's ImageClassification pipeline on PIL (Resize(s) bilinear, CenterCrop(c), ToTensor,
  Normalize) is run and its uint8 crop — everything before ToTensor/Normalize, which are exact — is stored
  as <name>.ref<s>_<c>.png (256/224, and 128/112 for a stronger downscale). The tests rebuild torchvision's tensor from it.
- formats/: a 40x30 crop in every container sharp reads (PNG 8/16-bit, grey, RGBA, palette, WebP, GIF
  with two frames, TIFF, JPEG with EXIF orientations 3/6/8, PPM/PGM), and formats/expected.json naming for
  each file the PNG holding what PIL decodes (ImageOps.exif_transpose + convert('RGB')) and the tolerance
  in 8-bit steps.
Run with Debian's packages: /usr/bin/python3 scripts/fixtures_images.py
"""
import json
import os
import struct
import zlib

import numpy as np
import skimage.data
import torch
from PIL import Image, ImageOps
from torchvision import transforms

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'images')
FMT = os.path.join(OUT, 'formats')


def pil_preset_crop(img, resize, crop):
    t = transforms.Compose([transforms.Resize(resize, interpolation=transforms.InterpolationMode.BILINEAR),
                            transforms.CenterCrop(crop)])
    return t(img.convert('RGB'))


def torchvision_tensor(img, resize, crop):
    t = transforms.Compose([transforms.Resize(resize), transforms.CenterCrop(crop), transforms.ToTensor(),
                            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    return t(img.convert('RGB'))


def png16(arr, path):
    """A 16-bit PNG written by hand (PIL cannot write 16-bit RGB)."""
    h, w = arr.shape[:2]
    ch = arr.shape[2] if arr.ndim == 3 else 1
    ct = {1: 0, 3: 2, 4: 6}[ch]
    raw = b''.join(b'\0' + arr[y].astype('>u2').tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, ct, 0, 0, 0)) +
                chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def photos():
    refs = []
    chelsea = Image.fromarray(skimage.data.chelsea()[:, 60:390])
    chelsea.save(os.path.join(OUT, 'chelsea.png'), optimize=True)
    coffee = Image.fromarray(skimage.data.coffee())
    coffee.save(os.path.join(OUT, 'coffee.jpg'), quality=90)
    for name in ['chelsea.png', 'coffee.jpg']:
        img = Image.open(os.path.join(OUT, name))
        for resize, crop in ([(256, 224), (128, 112)] if name.endswith('.png') else [(256, 224)]):
            ref = pil_preset_crop(img, resize, crop)
            out = '%s.ref%d_%d.png' % (name.split('.')[0], resize, crop)
            ref.save(os.path.join(OUT, out), optimize=True)
            # the stored crop must give torchvision's tensor exactly
            mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
            rebuilt = (torch.from_numpy(np.asarray(Image.open(os.path.join(OUT, out)))).permute(2, 0, 1).float() / 255 - mean) / std
            assert (rebuilt - torchvision_tensor(img, resize, crop)).abs().max() < 1e-6
            refs.append({'image': name, 'resizeSize': resize, 'cropSize': crop, 'reference': out})
    with open(os.path.join(OUT, 'presets.json'), 'w') as f:
        json.dump({'torchvision': __import__('torchvision').__version__, 'cases': refs}, f, indent=1)


def formats():
    os.makedirs(FMT, exist_ok=True)
    a = skimage.data.chelsea()[100:130, 200:240]
    rgb = Image.fromarray(a)
    grey = rgb.convert('L')
    g = np.asarray(grey)
    expected = []

    def add(name, expect, tol=0, note=''):
        expected.append({'file': name, 'expected': expect, 'tol': tol, 'note': note})

    rgb.save(os.path.join(FMT, 'rgb8.png'))
    add('rgb8.png', 'rgb8.png')
    png16(a.astype(np.uint16) * 257, os.path.join(FMT, 'rgb16.png'))
    add('rgb16.png', 'rgb8.png', 0, '16-bit values v*257 read as v/255')
    grey.save(os.path.join(FMT, 'grey8.png'))
    grey.convert('RGB').save(os.path.join(FMT, 'grey8.expected.png'))
    add('grey8.png', 'grey8.expected.png')
    png16(g.astype(np.uint16) * 257, os.path.join(FMT, 'grey16.png'))
    add('grey16.png', 'grey8.expected.png', 0, 'PIL clips 16-bit grey in convert(RGB); we scale by 1/65535')
    alpha = (np.arange(30 * 40).reshape(30, 40) * 7 % 256).astype(np.uint8)
    Image.fromarray(np.dstack([a, alpha]), 'RGBA').save(os.path.join(FMT, 'rgba.png'))
    add('rgba.png', 'rgb8.png', 0, 'alpha dropped, colour kept (convert(RGB))')
    pal = rgb.quantize(64)
    pal.save(os.path.join(FMT, 'palette.png'))
    pal.convert('RGB').save(os.path.join(FMT, 'palette.expected.png'))
    add('palette.png', 'palette.expected.png')
    rgb.save(os.path.join(FMT, 'lossless.webp'), lossless=True)
    add('lossless.webp', 'rgb8.png')
    frames = [rgb.quantize(128), Image.fromarray(255 - a).quantize(128)]
    frames[0].save(os.path.join(FMT, 'two_frames.gif'), save_all=True, append_images=frames[1:], duration=100)
    first = Image.open(os.path.join(FMT, 'two_frames.gif'))
    first.seek(0)
    first.convert('RGB').save(os.path.join(FMT, 'two_frames.expected.png'))
    add('two_frames.gif', 'two_frames.expected.png', 0, 'first frame')
    rgb.save(os.path.join(FMT, 'rgb.tiff'))
    add('rgb.tiff', 'rgb8.png')
    rgb.save(os.path.join(FMT, 'plain.jpg'), quality=95)
    ImageOps.exif_transpose(Image.open(os.path.join(FMT, 'plain.jpg'))).convert('RGB').save(os.path.join(FMT, 'plain.expected.png'))
    add('plain.jpg', 'plain.expected.png', 3, 'JPEG decoders (libjpeg-turbo vs mozjpeg) may differ by an LSB or two')
    for o in [3, 6, 8]:
        exif = Image.Exif()
        exif[0x0112] = o
        name = 'orient%d.jpg' % o
        rgb.save(os.path.join(FMT, name), quality=95, exif=exif)
        ImageOps.exif_transpose(Image.open(os.path.join(FMT, name))).convert('RGB').save(
            os.path.join(FMT, 'orient%d.expected.png' % o))
        add(name, 'orient%d.expected.png' % o, 3, 'EXIF orientation %d applied' % o)
    rgb.save(os.path.join(FMT, 'rgb.ppm'))
    add('rgb.ppm', 'rgb8.png')
    grey.save(os.path.join(FMT, 'grey.pgm'))
    add('grey.pgm', 'grey8.expected.png')
    with open(os.path.join(FMT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    photos()
    formats()
    print('wrote', OUT)
