// Images through sharp: every container and orientation decodes to what PIL decodes (fixtures made by
// scripts/fixtures_images.py from Debian's sample photographs), presets match torchvision's pipeline on PIL,
// batches, saving, and bad input.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { io, Tensor } from '../../lib';

const DIR = path.join(__dirname, '..', 'fixtures', 'images');
const FMT = path.join(DIR, 'formats');

/** PNG pixels as PIL wrote them (decoded by sharp: lossless PNG is the same everywhere), [3, H, W] / 255. */
async function png(file: string): Promise<Tensor> {
  return io.loadImage(file);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('decoding every container sharp reads', () => {
  const expected: { file: string; expected: string; tol: number; note: string }[] = JSON.parse(fs.readFileSync(path.join(FMT, 'expected.json'), 'utf8'));
  test('the fixture list covers the formats of the issue', () => {
    const exts = new Set(expected.map((e) => path.extname(e.file)));
    for (const e of ['.png', '.jpg', '.webp', '.gif', '.tiff', '.ppm', '.pgm']) expect(exts.has(e)).toBe(true);
  });
  for (const e of expected) {
    test(`${e.file} ${e.note ? `(${e.note})` : ''} = PIL's decode within ${e.tol} steps`, async () => {
      const x = await io.loadImage(path.join(FMT, e.file));
      const ref = await png(path.join(FMT, e.expected));
      expect(x.shape).toEqual(ref.shape);
      expect(x.shape[1]).toBe(3);
      expect(maxAbs(x.data(), ref.data()) * 255).toBeLessThanOrEqual(e.tol + 1e-3);
    });
  }
  test('EXIF orientation 6 turns the 40x30 picture into 30x40', async () => {
    expect((await io.loadImage(path.join(FMT, 'orient6.jpg'))).shape).toEqual([1, 3, 40, 30]);
    expect((await io.loadImage(path.join(FMT, 'plain.jpg'))).shape).toEqual([1, 3, 30, 40]);
  });
  test('16-bit PNG keeps its 16 bits', async () => {
    const dec = await io.decodeImage(path.join(FMT, 'rgb16.png'));
    expect(dec.pixels).toBeInstanceOf(Uint16Array);
    const ref = await io.decodeImage(path.join(FMT, 'rgb8.png'));
    expect(ref.pixels).toBeInstanceOf(Uint8Array);
    expect(Array.from(dec.pixels.slice(0, 6))).toEqual(Array.from(ref.pixels.slice(0, 6), (v) => v * 257));
  });
  test('AVIF (encoded losslessly by sharp here, then decoded) round-trips within 2 steps', async () => {
    const sharp = require('sharp');
    const buf: Buffer = await sharp(path.join(FMT, 'rgb8.png')).avif({ lossless: true }).toBuffer();
    const x = await io.loadImage(buf);
    const ref = await png(path.join(FMT, 'rgb8.png'));
    expect(x.shape).toEqual(ref.shape);
    expect(maxAbs(x.data(), ref.data()) * 255).toBeLessThanOrEqual(2);
  });
  test('a buffer and a path give the same tensor', async () => {
    const a = await io.loadImage(path.join(FMT, 'plain.jpg'));
    const b = await io.loadImage(fs.readFileSync(path.join(FMT, 'plain.jpg')));
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
  });
});

describe('presets.imagenet vs torchvision (Resize, CenterCrop, ToTensor, Normalize on PIL)', () => {
  const cases: { image: string; resizeSize: number; cropSize: number; reference: string }[] = JSON.parse(fs.readFileSync(path.join(DIR, 'presets.json'), 'utf8')).cases;
  const mean = io.IMAGENET_MEAN;
  const std = io.IMAGENET_STD;
  for (const c of cases) {
    const png = c.image.endsWith('.png');
    // resize 'pil': PIL's 8-bit resampling bit for bit, so only float rounding remains (JPEG adds the two
    // decoders' differences, measured at 0 here). resize 'tensor': F.interpolate on float pixels; PIL rounds to
    // 8 bits between its passes and at the end, we do not (TOOLCHAIN.md: up to 0.017 max / 0.005 mean) —
    // the issue's bound for PNG, and twice it for JPEG.
    for (const [resize, maxTol, meanTol] of [['pil', 1e-5, 1e-6], ['tensor', png ? 0.05 : 0.1, png ? 0.01 : 0.02]] as const) {
      test(`${c.image} resize ${c.resizeSize} crop ${c.cropSize}, ${resize}: max |Δ| ≤ ${maxTol}, mean |Δ| ≤ ${meanTol}`, async () => {
        const x = await io.loadImage(path.join(DIR, c.image), io.presets.imagenet({ resizeSize: c.resizeSize, cropSize: c.cropSize, resize }));
        expect(x.shape).toEqual([1, 3, c.cropSize, c.cropSize]);
        const ref = (await io.loadImage(path.join(DIR, c.reference))).data(); // PIL's uint8 crop / 255
        const d = x.data();
        const hw = c.cropSize * c.cropSize;
        let max = 0;
        let sum = 0;
        for (let ch = 0; ch < 3; ch++) {
          for (let i = 0; i < hw; i++) {
            const r = (ref[ch * hw + i] - mean[ch]) / std[ch];
            const e = Math.abs(d[ch * hw + i] - r);
            max = Math.max(max, e);
            sum += e;
          }
        }
        const meanErr = sum / (3 * hw);
        // eslint-disable-next-line no-console
        console.log(`preset parity ${c.image} ${c.resizeSize}/${c.cropSize} ${resize}: max |Δ| ${max.toFixed(6)}, mean |Δ| ${meanErr.toFixed(7)}`);
        expect(max).toBeLessThanOrEqual(maxTol);
        expect(meanErr).toBeLessThanOrEqual(meanTol);
      });
    }
  }

  test('apply() on a tensor is the float path', async () => {
    const p = io.presets.imagenet({ resizeSize: 64, cropSize: 56 });
    const a = p.apply(await io.loadImage(path.join(DIR, 'chelsea.png')));
    const b = await io.loadImage(path.join(DIR, 'chelsea.png'), io.presets.imagenet({ resizeSize: 64, cropSize: 56, resize: 'tensor' }));
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
  });

  test('resize and crop arithmetic follow torchvision', () => {
    expect(io.resizedSize(300, 451, 256)).toEqual([256, 384]); // int(256 * 451 / 300) = 384
    expect(io.resizedSize(640, 427, 256)).toEqual([383, 256]);
    expect(io.resizedSize(100, 100, 232)).toEqual([232, 232]);
    expect(io.centerCropOffsets(256, 385, 224, 224)).toEqual([16, 80]); // round(80.5) = 80 (half to even)
    expect(io.centerCropOffsets(256, 387, 224, 224)).toEqual([16, 82]); // round(81.5) = 82
    expect(io.centerCropOffsets(5, 10, 8, 4)).toEqual([-1, 3]); // a crop larger than the image pads (3 // 2 = 1 before)
  });

  test('a crop larger than the image is zero-padded (normalised zeros)', async () => {
    const x = await io.loadImage(path.join(FMT, 'rgb8.png'), io.presets.imagenet({ resizeSize: 30, cropSize: 48 }));
    expect(x.shape).toEqual([1, 3, 48, 48]);
    expect(x.data()[0]).toBeCloseTo(-mean[0] / std[0], 5);
  });

  test('preset options are checked', () => {
    expect(() => io.presets.imagenet({ resizeSize: 0 })).toThrow(/resizeSize must be a positive integer/);
    expect(() => io.presets.imagenet({ cropSize: 1.5 })).toThrow(/cropSize must be a positive integer/);
    expect(() => io.presets.imagenet({ std: [1, 0, 1] })).toThrow(/std positive/);
  });
});

describe('loadImages', () => {
  test('decodes in parallel into one batch, in the given order', async () => {
    const files = ['plain.jpg', 'rgb8.png', 'orient6.jpg'].map((f) => path.join(FMT, f));
    const seen: number[] = [];
    const batch = await io.loadImages(files, io.presets.imagenet({ resizeSize: 32, cropSize: 24 }), { onProgress: (d) => seen.push(d) });
    expect(batch.shape).toEqual([3, 3, 24, 24]);
    expect(seen).toEqual([1, 2, 3]);
    const one = await io.loadImage(files[1], io.presets.imagenet({ resizeSize: 32, cropSize: 24 }));
    expect(Array.from(batch.data().subarray(3 * 24 * 24, 6 * 24 * 24))).toEqual(Array.from(one.data()));
  });
  test('different sizes without a preset are an error naming the file', async () => {
    await expect(io.loadImages([path.join(FMT, 'plain.jpg'), path.join(FMT, 'orient6.jpg')])).rejects.toThrow(/orient6\.jpg is 30x40 but .*plain\.jpg is 40x30/);
  });
});

describe('saveImage', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-img-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  test('un-normalises and writes a PNG that decodes back to the same pixels', async () => {
    const src = path.join(FMT, 'rgb8.png');
    const raw = await io.loadImage(src);
    const normed = io.normalize(raw, io.IMAGENET_MEAN, io.IMAGENET_STD);
    const out = path.join(tmp, 'x.png');
    await io.saveImage(normed, out);
    const back = await io.loadImage(out);
    expect(maxAbs(back.data(), raw.data())).toBeLessThan(0.5 / 255 + 1e-6);
    await io.saveImage(raw, path.join(tmp, 'raw.png'), { normalized: false });
    expect(maxAbs((await io.loadImage(path.join(tmp, 'raw.png'))).data(), raw.data())).toBeLessThan(1e-6);
  });
  test('grey [H, W] and JPEG output', async () => {
    const g = Tensor.from(new Float32Array(12).map((_, i) => i / 11), [3, 4]);
    await io.saveImage(g, path.join(tmp, 'g.jpg'), { normalized: false });
    const back = await io.loadImage(path.join(tmp, 'g.jpg'));
    expect(back.shape).toEqual([1, 3, 3, 4]);
  });
  test('bad shapes and extensions are errors', async () => {
    await expect(io.saveImage(Tensor.zeros([2, 3, 4, 4]), path.join(tmp, 'a.png'))).rejects.toThrow(/expected \[1, C, H, W\]/);
    await expect(io.saveImage(Tensor.zeros([1, 3, 4, 4]), path.join(tmp, 'a.bmp'))).rejects.toThrow(/unknown image extension '.bmp'/);
  });
});

describe('bad input is an Error naming the source', () => {
  test('garbage bytes, truncated PNG, missing file, wrong type', async () => {
    await expect(io.loadImage(Buffer.from('not an image at all'))).rejects.toThrow(/cannot decode a 19-byte buffer/);
    const png = fs.readFileSync(path.join(FMT, 'rgb8.png'));
    await expect(io.loadImage(png.subarray(0, png.length / 2))).rejects.toThrow(/cannot decode/);
    await expect(io.loadImage(path.join(FMT, 'nope.png'))).rejects.toThrow(/ENOENT.*nope\.png/);
    await expect(io.loadImage(42 as any)).rejects.toThrow(/expected a path, a Buffer or a Uint8Array/);
  });
});
