// safetensors: round trips, dtype widening from known bit patterns, atomic writes, and hostile files
// (each must be a clear Error naming the problem and the tensor).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { io, Tensor } from '../../lib';

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-st-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

/** A file from a header (object or raw text), data bytes, and optionally a lying header length. */
function craft(header: object | string, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): Buffer {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLen ?? BigInt(text.length));
  return Buffer.concat([len, text, data]);
}

const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const u16 = (...v: number[]) => new Uint8Array(Uint16Array.from(v).buffer);

describe('safetensors', () => {
  test('save then load round-trips names, order, shapes and values (Map and object)', () => {
    const file = path.join(tmpDir, 'a.safetensors');
    const a = Tensor.rand([2, 3, 5], { seed: 1, low: -3, high: 3 });
    const b = Tensor.from([7], []);
    const c = Tensor.zeros([0, 4]);
    io.saveSafetensors(file, new Map([['layer.weight', a], ['scalar', b], ['empty', c]]), { format: 'pt' });
    const back = io.loadSafetensors(file);
    expect([...back.keys()]).toEqual(['layer.weight', 'scalar', 'empty']);
    expect(back.get('layer.weight')!.shape).toEqual([2, 3, 5]);
    expect(Array.from(back.get('layer.weight')!.data())).toEqual(Array.from(a.data()));
    expect(back.get('scalar')!.shape).toEqual([]);
    expect(Array.from(back.get('scalar')!.data())).toEqual([7]);
    expect(back.get('empty')!.shape).toEqual([0, 4]);
    const header = io.readHeader(fs.readFileSync(file));
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.dataStart % 8).toBe(0);
    // object form, loading from bytes
    io.saveSafetensors(file, { x: b });
    expect(Array.from(io.loadSafetensors(fs.readFileSync(file)).get('x')!.data())).toEqual([7]);
    expect(fs.readdirSync(tmpDir)).toEqual(['a.safetensors']); // no temporary left behind
  });

  test('a failed save leaves the previous file intact and no temporary file', () => {
    const file = path.join(tmpDir, 'keep.safetensors');
    io.saveSafetensors(file, { w: Tensor.from([1, 2], [2]) });
    const before = fs.readFileSync(file);
    const gone = Tensor.from([3], [1]);
    gone.dispose();
    expect(() => io.saveSafetensors(file, { w: Tensor.from([5, 6], [2]), dead: gone })).toThrow(/disposed/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmpDir).filter((f) => f.includes('keep'))).toEqual(['keep.safetensors']);
    expect(() => io.saveSafetensors(path.join(tmpDir, 'no', 'such', 'dir.st'), { w: Tensor.from([1], [1]) })).toThrow(/ENOENT/);
  });

  test('F16, BF16, F64, I64, U8 and BOOL are widened to float32 exactly', () => {
    // half: 1, -2, 65504 (max), 2^-24 (smallest subnormal), 0x0200 = 2^-15 (subnormal), +inf
    const half = u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0200, 0x7c00);
    // bfloat16: 1, 3.140625, -0.5
    const bf = u16(0x3f80, 0x4049, 0xbf00);
    const f64 = new Uint8Array(Float64Array.from([0.1, -1e10]).buffer);
    const i64 = new Uint8Array(BigInt64Array.from([-3n, 1n << 40n]).buffer);
    const data = Buffer.concat([half, bf, f64, i64, Buffer.from([200, 0, 1])]);
    const file = craft({
      h: { dtype: 'F16', shape: [6], data_offsets: [0, 12] },
      b: { dtype: 'BF16', shape: [3], data_offsets: [12, 18] },
      d: { dtype: 'F64', shape: [2], data_offsets: [18, 34] },
      i: { dtype: 'I64', shape: [2], data_offsets: [34, 50] },
      u: { dtype: 'U8', shape: [1], data_offsets: [50, 51] },
      z: { dtype: 'BOOL', shape: [2], data_offsets: [51, 53] },
    }, data);
    const t = io.loadSafetensors(file);
    expect(Array.from(t.get('h')!.data())).toEqual([1, -2, 65504, 2 ** -24, 2 ** -15, Infinity]);
    expect(Array.from(t.get('b')!.data())).toEqual([1, 3.140625, -0.5]);
    expect(Array.from(t.get('d')!.data())).toEqual([Math.fround(0.1), -1e10]);
    expect(Array.from(t.get('i')!.data())).toEqual([-3, 2 ** 40]);
    expect(Array.from(t.get('u')!.data())).toEqual([200]);
    expect(Array.from(t.get('z')!.data())).toEqual([0, 1]);
  });

  test('unaligned F32 data (odd header length) loads correctly', () => {
    const file = craft('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} ', f32(1.5, -2.25));
    expect(Array.from(io.loadSafetensors(file).get('x')!.data())).toEqual([1.5, -2.25]);
  });

  describe('hostile or truncated files are errors naming the problem', () => {
    const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const cases: [string, Buffer, RegExp][] = [
      ['shorter than 8 bytes', Buffer.from([1, 2, 3]), /file is 3 bytes, too short/],
      ['header length past the end', craft(ok, f32(1, 2), 1000n), /header length 1000 runs past the end of the file/],
      ['header length over 100 MB', craft(ok, f32(1, 2), 1n << 62n), /header length 4611686018427387904 exceeds the 100000000-byte limit/],
      ['invalid JSON', craft('{"w": {"dtype": "F32",', f32(1, 2)), /header is not valid JSON/],
      ['JSON that is not an object', craft('[1, 2]'), /header must be a JSON object/],
      ['duplicate names', craft('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(1, 2)), /duplicate tensor name 'w'/],
      ['unknown dtype', craft({ w: { dtype: 'Q7', shape: [2], data_offsets: [0, 8] } }, f32(1, 2)), /tensor 'w': unknown dtype 'Q7'/],
      ['known but unsupported dtype', craft({ w: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, f32(1, 2)), /tensor 'w': unsupported dtype 'F8_E4M3'/],
      ['negative dim', craft({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32(1, 2)), /tensor 'w': shape must be an array of non-negative integers/],
      ['shape product overflow', craft({ w: { dtype: 'F32', shape: [2 ** 31, 2 ** 31, 2 ** 31], data_offsets: [0, 8] } }, f32(1, 2)), /tensor 'w': shape \[2147483648, 2147483648, 2147483648\] overflows/],
      ['offsets past the end', craft({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(1, 2)), /tensor 'w': data_offsets \[0, 16\] run past the end of the data \(8 bytes\)/],
      ['offsets not matching dtype×shape', craft({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(1, 2)), /tensor 'w': data_offsets \[0, 8\] hold 8 bytes but F32 \[3\] needs 12/],
      ['begin after end', craft({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f32(1, 2)), /tensor 'w': data_offsets \[8, 0\] are out of order/],
      ['overlapping tensors', craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(1, 2, 3)), /tensors 'a' and 'b' overlap/],
      ['a hole in the data', craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /bytes 0\.\.4 of the data section belong to no tensor \(before 'a'\)/],
      ['trailing bytes', craft(ok, f32(1, 2, 3)), /the data section has 12 bytes but the tensors cover 8/],
      ['fractional offsets', craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0.5, 8] } }, f32(1, 2)), /tensor 'w': data_offsets must be two non-negative integers/],
      ['missing dtype', craft({ w: { shape: [2], data_offsets: [0, 8] } }, f32(1, 2)), /tensor 'w': dtype must be a string/],
      ['bad metadata', craft({ __metadata__: { a: 1 }, ...ok }, f32(1, 2)), /__metadata__ must be an object of strings/],
    ];
    for (const [what, bytes, msg] of cases) {
      test(what, () => {
        expect(() => io.loadSafetensors(bytes)).toThrow(msg);
        expect(() => io.loadSafetensors(bytes)).toThrow(/^safetensors: /);
      });
    }
    test('a truncated real file', () => {
      const file = path.join(tmpDir, 't.safetensors');
      io.saveSafetensors(file, { w: Tensor.rand([64], { seed: 2 }) });
      const full = fs.readFileSync(file);
      expect(() => io.loadSafetensors(full.subarray(0, full.length - 1))).toThrow(/tensor 'w': data_offsets \[0, 256\] run past the end of the data \(255 bytes\)/);
      expect(() => io.loadSafetensors(full.subarray(0, 20))).toThrow(/runs past the end of the file \(20 bytes\)/);
    });
  });
});

describe('files written by scripts/export_torchvision.py', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'io');
  const expected = Array.from({ length: 24 }, (_, i) => (i - 11.5) / 8);
  for (const dtype of ['f32', 'f16', 'bf16']) {
    test(`${dtype}: values, shapes and metadata`, () => {
      const file = path.join(dir, `tiny_${dtype}.safetensors`);
      const t = io.loadSafetensors(file);
      expect([...t.keys()]).toEqual(['conv.weight', 'bn.running_var', 'bn.num_batches_tracked']);
      expect(t.get('conv.weight')!.shape).toEqual([2, 3, 2, 2]);
      expect(Array.from(t.get('conv.weight')!.data())).toEqual(expected);
      expect(Array.from(t.get('bn.running_var')!.data())).toEqual([0.5, 1.25]);
      expect(t.get('bn.num_batches_tracked')!.shape).toEqual([]);
      expect(Array.from(t.get('bn.num_batches_tracked')!.data())).toEqual([7]);
      expect(io.readHeader(fs.readFileSync(file)).metadata).toEqual({ format: 'pt', source: 'tiny.pth' });
    });
  }
});

test('a model saved with its stateDict loads back into a fresh model', () => {
  const { models } = require('../../lib') as typeof import('../../lib');
  const file = path.join(tmpDir, 'resnet18.safetensors');
  const a = models.resnet18({ numClasses: 7 });
  io.saveSafetensors(file, a.stateDict());
  const b = models.resnet18({ numClasses: 7 });
  expect(b.loadStateDict(io.loadSafetensors(file))).toEqual({ missingKeys: [], unexpectedKeys: [] });
  for (const [k, t] of a.stateDict()) expect(Array.from(b.stateDict().get(k)!.data())).toEqual(Array.from(t.data()));
  a.dispose();
  b.dispose();
});
