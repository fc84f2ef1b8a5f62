import { io } from '../../lib';

// A 2×3 RGB image: pixel (r, c) has channels [10r + c, 100 + c, 255 - 5c] (bytes, row-major, interleaved).
function ppm(width: number, height: number, comment = ''): Buffer {
  const header = Buffer.from(`P6\n${comment}${width} ${height}\n255\n`);
  const px: number[] = [];
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) px.push(10 * r + c, 100 + c, 255 - 5 * c);
  return Buffer.concat([header, Buffer.from(px)]);
}

describe('images', () => {
  test('PPM decodes to planar NCHW in [0, 1]', () => {
    const img = io.decodePnm(ppm(3, 2, '# made by a test\n'));
    expect([img.width, img.height, img.channels]).toEqual([3, 2, 3]);
    const x = io.imageToTensor(img, { normalize: false });
    expect(x.shape).toEqual([1, 3, 2, 3]);
    const d = x.data();
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        expect(d[0 * 6 + r * 3 + c]).toBeCloseTo((10 * r + c) / 255, 6);
        expect(d[1 * 6 + r * 3 + c]).toBeCloseTo((100 + c) / 255, 6);
        expect(d[2 * 6 + r * 3 + c]).toBeCloseTo((255 - 5 * c) / 255, 6);
      }
    }
  });

  test('ImageNet normalisation is (x − mean) / std per channel; grey images become 3 channels', () => {
    const x = io.imageToTensor(io.decodePnm(ppm(3, 2)));
    const d = x.data();
    expect(d[1 * 6 + 4]).toBeCloseTo(((100 + 1) / 255 - io.IMAGENET_MEAN[1]) / io.IMAGENET_STD[1], 5);
    const grey = Buffer.concat([Buffer.from('P5 2 1 255\n'), Buffer.from([0, 255])]);
    const g = io.imageToTensor(io.decodePnm(grey), { normalize: false });
    expect(g.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(g.data())).toEqual([0, 1, 0, 1, 0, 1]);
  });

  test('bad files are errors naming the problem', () => {
    expect(() => io.decodePnm(Buffer.from('P3\n1 1\n255\n0 0 0'))).toThrow(/expected a binary PPM \(P6\) or PGM \(P5\), got 'P3'/);
    expect(() => io.decodePnm(ppm(3, 2).subarray(0, 20))).toThrow(/pixel data is truncated/);
    expect(() => io.decodePnm(Buffer.from('P6\n0 4\n255\n'))).toThrow(/bad image size 0x4/);
    expect(() => io.decodePnm(Buffer.from('P6\n1 1\n65535\n'))).toThrow(/only 8-bit images/);
    expect(() => io.decodePnm(Buffer.from('P6\n'))).toThrow(/truncated header/);
  });
});
