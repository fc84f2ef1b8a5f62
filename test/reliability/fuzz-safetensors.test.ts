// Hostile safetensors files. Two fuzzers, both seeded (a failure reproduces from its seed and index):
// 1. the native half of the loader (core::storedBytesToTensor) built with AddressSanitizer + UBSan in a small C++
//    harness (fuzz/stored_bytes_fuzz.cc): 10⁴ mutated inputs (10⁵ with CONVNETS_RELIABILITY_LONG=1) → 0 crashes,
//    0 sanitizer reports; a canary read past a heap block proves the sanitizers are on;
// 2. the whole loader (io.loadSafetensors: the TypeScript header checks, then the addon) over mutated files, in
//    this process: every input loads consistently or throws an Error whose message says what is wrong.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, io } from '../../lib';

const LONG = process.env.CONVNETS_RELIABILITY_LONG === '1';
const INPUTS = LONG ? 100_000 : 10_000;
const root = path.join(__dirname, '..', '..');
const SEED = Number(process.env.CONVNETS_FUZZ_SEED ?? 20261204);

const haveGxx = spawnSync('g++', ['--version']).status === 0;
(haveGxx ? describe : describe.skip)(`native loader under ASan + UBSan${haveGxx ? '' : ' (skipped: g++ not found)'}`, () => {
  const exe = path.join(root, 'build', 'fuzz', 'stored_bytes_fuzz');
  const env = { ...process.env, ASAN_OPTIONS: 'abort_on_error=0:halt_on_error=1:detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' };
  beforeAll(() => {
    fs.mkdirSync(path.dirname(exe), { recursive: true });
    const core = ['dtype_convert', 'threadpool', 'tensor', 'allocator', 'arena', 'device', 'cuda_off'].map((f) => `native/core/${f}.cc`);
    execFileSync('g++', ['-std=c++17', '-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer',
      '-Inative', 'test/reliability/fuzz/stored_bytes_fuzz.cc', ...core, '-o', exe, '-pthread'], { cwd: root, stdio: 'pipe' });
  });

  test('the canary: a read past a heap block is reported (the sanitizers are on)', () => {
    const r = spawnSync(exe, ['--canary'], { env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('AddressSanitizer: heap-buffer-overflow');
  });

  test(`${INPUTS} mutated inputs: 0 crashes, 0 sanitizer reports`, () => {
    const r = spawnSync(exe, [String(SEED), String(INPUTS)], { env, encoding: 'utf8' });
    console.log(`${r.stdout.trim()} (seed ${SEED})`);
    expect(r.stderr).not.toMatch(/Sanitizer|runtime error/);
    expect(r.status).toBe(0);
    const m = /(\d+) inputs: (\d+) accepted, (\d+) rejected/.exec(r.stdout);
    expect(Number(m?.[1])).toBe(INPUTS);
    // The mix is meaningful: both paths are exercised many times.
    expect(Number(m?.[2])).toBeGreaterThan(INPUTS / 20);
    expect(Number(m?.[3])).toBeGreaterThan(INPUTS / 2);
  });
});

// ---- the whole loader, in process ---------------------------------------------------------------------------

class Rng { // xorshift32: seeded, the same everywhere
  constructor(private s: number) { this.s = (s >>> 0) || 1; }
  next(): number { let x = this.s; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; this.s = x >>> 0; return this.s / 2 ** 32; }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
}

const WIDTH: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** A valid file: tensors of every dtype laid end to end, with metadata. */
function validFile(rng: Rng): { header: Record<string, unknown>; data: Buffer } {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', note: 'fuzz' } };
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [i, dtype] of Object.keys(WIDTH).entries()) {
    const shape = Array.from({ length: rng.int(4) }, () => 1 + rng.int(4));
    const bytes = shape.reduce((a, b) => a * b, 1) * WIDTH[dtype];
    const data = Buffer.alloc(bytes);
    for (let k = 0; k < bytes; k++) data[k] = rng.int(256);
    header[`layer${i}.${dtype.toLowerCase()}`] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    parts.push(data);
    offset += bytes;
  }
  return { header, data: Buffer.concat(parts) };
}

function encode(header: unknown, data: Buffer, pad = 0): Buffer {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(pad));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

const weird = (rng: Rng): unknown => rng.pick([-1, 0, 1, 2 ** 53, 2 ** 64, 1.5, NaN, null, '3', [], {}, true, Number.MAX_SAFE_INTEGER, -0, 1e308, 7]);

/** One mutated file: JSON-aware mutations of the header, or raw byte mutations of the encoded file. */
function mutate(rng: Rng): Buffer {
  const { header, data } = validFile(rng);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const entry = (): Record<string, unknown> => {
    const e = header[rng.pick(names)];
    return typeof e === 'object' && e !== null && !Array.isArray(e) ? e as Record<string, unknown> : {};
  };
  let d = data;
  for (let m = 0, n = 1 + rng.int(3); m < n; m++) {
    switch (rng.int(12)) {
      case 0: { const o = entry().data_offsets; if (Array.isArray(o)) o[rng.int(2)] = weird(rng); break; }
      case 1: entry().data_offsets = rng.pick([[0], [1, 0], 'x', null, [0, 0, 0]]); break;
      case 2: { const s = entry().shape; if (Array.isArray(s)) { if (s.length) s[rng.int(s.length)] = weird(rng); else s.push(weird(rng)); } break; }
      case 3: entry().shape = rng.pick([[2 ** 30, 2 ** 30, 2 ** 30], [-1], 'shape', [1.5], Array(12).fill(2)]); break;
      case 4: entry().dtype = rng.pick(['F32', 'BF16', 'U16', 'F8_E4M3', 'f32', '', 7, null, 'C64']); break;
      case 5: header[rng.pick(names)] = weird(rng); break;
      case 6: header.__metadata__ = rng.pick([{ a: 1 }, 'meta', null, { ok: 'yes' }]); break;
      case 7: d = d.subarray(0, rng.int(d.length + 1)); break;
      case 8: d = Buffer.concat([d, Buffer.alloc(1 + rng.int(9), rng.int(256))]); break;
      default: {
        // Raw bytes: flip bits anywhere in the encoded file (the length prefix and the JSON text included).
        const f = Buffer.from(encode(header, d, rng.int(3)));
        for (let k = 0, n = 1 + rng.int(4); k < n; k++) f[rng.int(f.length)] ^= 1 << rng.int(8);
        if (rng.int(4) === 0) f.writeBigUInt64LE(BigInt(rng.pick([0, 1, f.length, 2 ** 40, 100_000_001])), 0);
        return f;
      }
    }
  }
  return encode(header, d);
}

test(`io.loadSafetensors over ${INPUTS} mutated files: each loads consistently or throws a safetensors Error`, () => {
  const rng = new Rng(SEED);
  let loaded = 0, refused = 0;
  const reasons = new Map<string, number>();
  for (let i = 0; i < INPUTS; i++) {
    const file = mutate(rng);
    let out: Map<string, Tensor> | undefined;
    try {
      out = io.loadSafetensors(new Uint8Array(file));
    } catch (e) {
      const msg = String((e as Error)?.message);
      if (!/^(safetensors|tensorFromBytes): /.test(msg)) throw new Error(`input ${i} (seed ${SEED}): unexpected error: ${msg}`);
      const key = msg.replace(/'[^']*'|\[[^\]]*\]|\d+/g, '…').slice(0, 60);
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
      refused++;
      continue;
    }
    for (const t of out.values()) {
      if (t.numel !== t.data().length) throw new Error(`input ${i}: a tensor of ${t.numel} elements holds ${t.data().length}`);
      t.dispose();
    }
    loaded++;
  }
  const top = [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `${n}× ${k}`);
  console.log(`${INPUTS} files (seed ${SEED}): ${loaded} loaded, ${refused} refused; most common reasons:\n  ${top.join('\n  ')}`);
  expect(loaded + refused).toBe(INPUTS);
  expect(loaded).toBeGreaterThan(0);
  expect(reasons.size).toBeGreaterThan(10); // the mutations reach many different checks
});
