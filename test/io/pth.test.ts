// io.loadPth against files torch.save wrote (scripts/fixtures_pth.py, torch 1.13): both containers, every
// storage dtype, views, shared storages, whole networks; and hostile files built here byte by byte.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { io, models, Tensor } from '../../lib';
import { genF32 } from '../helpers/gen';
import { relErr } from '../helpers/check';

const DIR = path.join(__dirname, '..', 'fixtures', 'pth');
const ref: Record<string, { dtype: string; shape: number[]; values: number[] }> = JSON.parse(fs.readFileSync(path.join(DIR, 'tensors.json'), 'utf8'));

describe.each(['tensors.zip.pth', 'tensors.legacy.pth'])('%s', (file) => {
  const sd = io.loadPth(path.join(DIR, file));
  test('container detected', () => expect(sd.format).toBe(file.includes('zip') ? 'zip' : 'legacy'));
  test('the same keys as torch, nested dicts dotted, non-tensors skipped', () => {
    expect([...sd.keys()]).toEqual(Object.keys(ref));
  });
  for (const [key, r] of Object.entries(ref)) {
    test(`${key}: ${r.dtype} ${JSON.stringify(r.shape)} widened to float32 with the dtype reported`, () => {
      const t = sd.get(key)!;
      expect(t.shape).toEqual(r.shape);
      expect(sd.dtypes.get(key)).toBe(r.dtype);
      expect(Array.from(t.data())).toEqual(r.values.map(Math.fround));
    });
  }
  test('views read their own window: view = f32[1:, ::2]; shared_t is shared transposed', () => {
    const f = sd.get('f32')!.data();
    const v = sd.get('view')!.data();
    expect(v[0]).toBe(f[5]);
    expect(v[4]).toBe(f[2 * 5 + 2]); // view[1, 1] = f32[2, 2]
    expect(v[14]).toBe(f[5 * 5 + 4]); // view[4, 2] = f32[5, 4]
    const s = sd.get('shared')!.data();
    const st = sd.get('shared_t')!.data();
    expect(st[1 * 3 + 2]).toBe(s[2 * 4 + 1]); // shared_t[1, 2] = shared[2, 1]
  });
});

// A tiny pickler for hostile inputs (protocol 2 opcodes).
const P = {
  proto: () => [0x80, 2],
  global: (m: string, n: string) => [0x63, ...Buffer.from(`${m}\n${n}\n`)],
  str: (s: string) => [0x8c, s.length, ...Buffer.from(s)],
  int: (v: number) => [0x4a, ...new Uint8Array(new Int32Array([v]).buffer)],
  mark: () => [0x28],
  tuple: () => [0x74],
  emptyDict: () => [0x7d],
  setitem: () => [0x73],
  reduce: () => [0x52],
  persid: () => [0x51],
  stop: () => [0x2e],
  none: () => [0x4e],
  false: () => [0x89],
};
const pkl = (...parts: number[][]) => new Uint8Array(parts.flat());
const zipPth = (data: Uint8Array, storages: Record<string, Uint8Array> = {}, level: 0 | 9 = 0) => {
  const files: Record<string, Uint8Array> = { 'archive/data.pkl': data };
  for (const [k, v] of Object.entries(storages)) files[`archive/data/${k}`] = v;
  return zipSync(files, { level });
};
/** {'w': _rebuild_tensor_v2(storage(FloatStorage, '0', numel), offset, size, stride, False, None)} */
const tensorPickle = (numel: number, offset: number, size: number[], stride: number[]) =>
  pkl(P.proto(), P.emptyDict(), P.str('w'),
    P.global('torch._utils', '_rebuild_tensor_v2'), P.mark(),
    P.mark(), P.str('storage'), P.global('torch', 'FloatStorage'), P.str('0'), P.str('cpu'), P.int(numel), P.tuple(), P.persid(),
    P.int(offset), P.mark(), ...size.map(P.int), P.tuple(), P.mark(), ...stride.map(P.int), P.tuple(), P.false(), P.none(), P.tuple(),
    P.reduce(), P.setitem(), P.stop());

describe('hand-built pickles: the allow-list and the bounds', () => {
  test('a well-formed tensor record loads (the hostile cases below differ from it in one place)', () => {
    const sd = io.loadPth(zipPth(tensorPickle(4, 1, [3], [1]), { '0': new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) }));
    expect(Array.from(sd.get('w')!.data())).toEqual([2, 3, 4]);
  });
  test('a pickle that calls os.system is refused, naming the global, and runs nothing', () => {
    const evil = pkl(P.proto(), P.global('posix', 'system'), P.mark(), P.str('touch /tmp/convnets-pwned'), P.tuple(), P.reduce(), P.stop());
    expect(() => io.loadPth(zipPth(evil))).toThrow(/refusing global 'posix\.system'/);
    expect(fs.existsSync('/tmp/convnets-pwned')).toBe(false);
    // the same as a legacy file: the magic number pickle comes first, then the refusal
    expect(() => io.loadPth(evil)).toThrow(/not a torch checkpoint|refusing global/);
  });
  test('unknown globals (a pickled module class, builtins.eval) are refused by name', () => {
    const cls = pkl(P.proto(), P.global('torch.nn.modules.conv', 'Conv2d'), P.mark(), P.tuple(), P.reduce(), P.stop());
    expect(() => io.loadPth(zipPth(cls))).toThrow(/refusing global 'torch\.nn\.modules\.conv\.Conv2d'/);
    const ev = pkl(P.proto(), [0x69], Buffer.from('builtins\neval\n').toJSON().data, P.stop());
    expect(() => io.loadPth(zipPth(ev))).toThrow(/refusing global 'builtins\.eval'/);
  });
  test('storage offset past the end, negative sizes, a storage shorter than declared', () => {
    const four = { '0': new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) };
    expect(() => io.loadPth(zipPth(tensorPickle(4, 3, [3], [1]), four))).toThrow(/reads element 5 of a storage of 4/);
    expect(() => io.loadPth(zipPth(tensorPickle(4, 0, [2, 2], [4, 1]), four))).toThrow(/reads element 5 of a storage of 4/);
    expect(() => io.loadPth(zipPth(tensorPickle(4, 0, [-2], [1]), four))).toThrow(/negative entry -2/);
    expect(() => io.loadPth(zipPth(tensorPickle(4, -1, [2], [1]), four))).toThrow(/offset -1 is not a non-negative integer/);
    expect(() => io.loadPth(zipPth(tensorPickle(8, 0, [8], [1]), four))).toThrow(/declares 8 elements but holds 4/);
    expect(() => io.loadPth(zipPth(tensorPickle(4, 0, [4], [1]), {}))).toThrow(/storage 0 is missing/);
  });
  test('recursion bombs: deep nesting and exponential sharing are refused', () => {
    const deep: number[][] = [P.proto()];
    for (let i = 0; i < 200; i++) deep.push(P.emptyDict(), P.str('k'));
    deep.push(P.emptyDict());
    for (let i = 0; i < 200; i++) deep.push(P.setitem());
    deep.push(P.stop());
    expect(() => io.loadPth(zipPth(pkl(...deep)))).toThrow(/nesting deeper than 64 levels/);
    // d0 = {}; d_{i+1} = {'a': d_i, 'b': d_i}: 2^60 paths through 60 dicts
    const laugh: number[][] = [P.proto(), P.emptyDict(), [0x71, 0], [0x30]];
    for (let i = 1; i <= 60; i++) laugh.push(P.emptyDict(), P.str('a'), [0x68, i - 1], P.setitem(), P.str('b'), [0x68, i - 1], P.setitem(), [0x71, i], i < 60 ? [0x30] : []);
    laugh.push(P.stop());
    expect(() => io.loadPth(zipPth(pkl(...laugh)))).toThrow(/more than 1000000 objects/);
  });
  test('malformed pickles: truncation, stack underflow, unknown opcode, undefined memo', () => {
    const good = tensorPickle(4, 0, [4], [1]);
    expect(() => io.loadPth(zipPth(good.subarray(0, good.length - 9)))).toThrow(/truncated|MARK not found|STOP/);
    expect(() => io.loadPth(zipPth(pkl(P.proto(), P.setitem(), P.stop())))).toThrow(/stack underflow/);
    expect(() => io.loadPth(zipPth(pkl(P.proto(), [0xff], P.stop())))).toThrow(/unsupported pickle opcode 0xff/);
    expect(() => io.loadPth(zipPth(pkl(P.proto(), [0x68, 9], P.stop())))).toThrow(/memo key 9 is not defined/);
    expect(() => io.loadPth(zipPth(pkl(P.proto(), P.emptyDict(), P.stop())))).toThrow(/no tensors found/);
  });
});

describe('hostile containers', () => {
  const zip = fs.readFileSync(path.join(DIR, 'tensors.zip.pth'));
  const legacy = fs.readFileSync(path.join(DIR, 'tensors.legacy.pth'));
  test('truncated zip and legacy files', () => {
    expect(() => io.loadPth(zip.subarray(0, zip.length >> 1))).toThrow(/loadPth: .*not a readable zip archive/);
    expect(() => io.loadPth(legacy.subarray(0, legacy.length - 10))).toThrow(/loadPth: .*truncated/);
    expect(() => io.loadPth(legacy.subarray(0, 40))).toThrow(/loadPth: /);
  });
  test('a zip bomb (20 MB of zeros deflated) is refused before inflating', () => {
    const bomb = zipPth(tensorPickle(4, 0, [4], [1]), { '0': new Uint8Array(20 << 20) }, 9);
    expect(bomb.length).toBeLessThan(200_000);
    expect(() => io.loadPth(bomb)).toThrow(/expands .* bytes to 20971520 \(a zip bomb\?\)/);
  });
  test('not a checkpoint at all; a zip without data.pkl', () => {
    expect(() => io.loadPth(Buffer.from('hello world'))).toThrow(/not a torch checkpoint/);
    expect(() => io.loadPth(zipSync({ 'a.txt': new Uint8Array(3) }))).toThrow(/no data\.pkl/);
  });
  test('mutation fuzzing: 400 files with random bytes changed load or throw an Error, never crash', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let threw = 0;
    for (const base of [zip, legacy]) {
      for (let i = 0; i < 200; i++) {
        const m = Buffer.from(base);
        const flips = 1 + Math.floor(rand() * 4);
        for (let f = 0; f < flips; f++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
        if (rand() < 0.2) m.writeUInt32LE(Math.floor(rand() * 2 ** 32), Math.floor(rand() * (m.length - 4)));
        try {
          for (const t of io.loadPth(m).values()) t.dispose();
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).message).toMatch(/^loadPth: /);
          threw++;
        }
      }
    }
    expect(threw).toBeGreaterThan(20);
  });
});

describe('whole networks from torch.save files give torchvision\'s logits', () => {
  const nets = JSON.parse(fs.readFileSync(path.join(DIR, 'networks.json'), 'utf8'));
  const x = () => Tensor.from(genF32(3 * 64 * 64, nets.input.seed, nets.input.scale), nets.input.shape);
  test('resnet18 (legacy container, every parameter a strided window of one shared storage)', () => {
    const sd = io.loadPth(path.join(DIR, 'resnet18.legacy.pth'));
    expect(sd.format).toBe('legacy');
    const m = models.resnet18().eval();
    m.loadStateDict(sd);
    const y = m.forward(x());
    expect(relErr(y.data(), nets.logits.resnet18)).toBeLessThan(1e-4);
  });
  test('densenet121 with torchvision\'s legacy keys (norm.1, conv.2, ...) loads unchanged', () => {
    const sd = io.loadPth(path.join(DIR, 'densenet121_legacy_keys.pth'));
    expect([...sd.keys()].some((k) => k.includes('.norm.1.'))).toBe(true);
    const m = models.densenet121().eval();
    m.loadStateDict(sd);
    const y = m.forward(x());
    expect(relErr(y.data(), nets.logits.densenet121)).toBeLessThan(1e-4);
  });
});
