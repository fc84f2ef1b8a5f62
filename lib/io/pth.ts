// torch.save checkpoints (.pth / .pt), read without Python and without running code.
//
// Two containers:
// - zip (torch >= 1.6): `<archive>/data.pkl` pickles the object with storages as persistent ids
//   ('storage', torch.<T>Storage, key, location, numel); `<archive>/data/<key>` holds each storage's raw
//   little-endian bytes. Read with fflate (torch writes the entries stored, uncompressed).
// - legacy (_use_new_zipfile_serialization=False, and torchvision's early checkpoints): five pickles in a row
//   — magic number 0x1950a86a20f9469cfc6c, protocol 1001, sys info, the object (persistent ids
//   ('storage', T, key, location, numel, view)), the sorted storage keys — then per key an int64 element
//   count and the raw bytes.
// The object is unpickled by io/pickle.ts with an allow-list: OrderedDict, _rebuild_tensor(_v2),
// _rebuild_parameter and the typed storages. Tensors are strided views of storages (offset, size,
// stride; shared storages and non-contiguous views included), converted natively to float32 after the
// view is checked to lie inside its storage. The original dtype of each entry is kept in `dtypes`.
import * as fs from 'node:fs';
import { unzipSync } from 'fflate';

import { native } from '../native';
import { Tensor } from '../tensor';
import { PyDict, PyGlobal, PyTuple, UnpicklingError, unpickle } from './pickle';

export interface LoadPthOptions {
  /** Largest uncompressed zip entry accepted, in bytes (default 8 GiB). */
  maxEntryBytes?: number;
  /** Largest accepted ratio of a compressed entry's size to its stored size (default 100; torch stores, 1:1). */
  maxCompressionRatio?: number;
}

/** A state dict read from a .pth file: float32 CPU tensors by key, plus where they came from. */
export class PthStateDict extends Map<string, Tensor> {
  /** The container: 'zip' (torch >= 1.6) or 'legacy'. */
  format: 'zip' | 'legacy' = 'zip';
  /** torch dtype of each entry as stored ('float32', 'float16', 'bfloat16', 'float64', 'int64', ...). */
  readonly dtypes = new Map<string, string>();
}

// torch storage class → [our stored type name (core/dtype_convert.h), torch dtype, bytes per element]
const STORAGES: Record<string, [string, string, number]> = {
  FloatStorage: ['F32', 'float32', 4],
  HalfStorage: ['F16', 'float16', 2],
  BFloat16Storage: ['BF16', 'bfloat16', 2],
  DoubleStorage: ['F64', 'float64', 8],
  LongStorage: ['I64', 'int64', 8],
  IntStorage: ['I32', 'int32', 4],
  ShortStorage: ['I16', 'int16', 2],
  CharStorage: ['I8', 'int8', 1],
  ByteStorage: ['U8', 'uint8', 1],
  BoolStorage: ['BOOL', 'bool', 1],
};

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const MAX_DEPTH = 64;
const MAX_NODES = 1_000_000;

interface StorageRef { kind: 'storage'; key: string; type: string; dtype: string; esize: number; numel: number; view?: { offset: number; numel: number } }
interface TensorRef { kind: 'tensor'; storage: StorageRef; offset: number; shape: number[]; stride: number[] }

class PthError extends Error {}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function intTuple(v: unknown, what: string, fail: (m: string) => never): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : fail(`${what} is not a tuple`);
  if (items.length > 8) fail(`${what} has ${items.length} dimensions (at most 8)`);
  for (const x of items) if (!Number.isSafeInteger(x)) fail(`${what} has a non-integer entry ${String(x)}`);
  for (const x of items) if ((x as number) < 0) fail(`${what} has a negative entry ${String(x)}`);
  return items as number[];
}

function makeGlobals(fail: (m: string) => never): Map<string, PyGlobal> {
  const g = new Map<string, PyGlobal>();
  const rebuild = (name: string, withGrad: boolean) => (args: unknown[]): TensorRef => {
    const [storage, offset, size, stride] = args;
    if (!storage || (storage as StorageRef).kind !== 'storage') fail(`${name}: first argument is not a storage`);
    if (!isCount(offset)) fail(`${name}: storage offset ${String(offset)} is not a non-negative integer`);
    if (withGrad && args.length < 6) fail(`${name}: expected at least 6 arguments, got ${args.length}`);
    const shape = intTuple(size, `${name}: size`, fail);
    const strides = intTuple(stride, `${name}: stride`, fail);
    if (shape.length !== strides.length) fail(`${name}: ${shape.length} sizes but ${strides.length} strides`);
    return { kind: 'tensor', storage: storage as StorageRef, offset: offset as number, shape, stride: strides };
  };
  g.set('collections.OrderedDict', {
    name: 'collections.OrderedDict',
    call: (args) => {
      const d = new PyDict();
      const items = args[0];
      if (Array.isArray(items)) {
        for (const kv of items) {
          if (!(kv instanceof PyTuple) || kv.items.length !== 2) fail('OrderedDict: items are not pairs');
          d.entries.set((kv as PyTuple).items[0], (kv as PyTuple).items[1]);
        }
      }
      return d;
    },
  });
  g.set('torch._utils._rebuild_tensor_v2', { name: '_rebuild_tensor_v2', call: rebuild('_rebuild_tensor_v2', true) });
  g.set('torch._utils._rebuild_tensor', { name: '_rebuild_tensor', call: rebuild('_rebuild_tensor', false) });
  g.set('torch._utils._rebuild_parameter', {
    name: '_rebuild_parameter',
    call: (args) => {
      if (!args[0] || (args[0] as TensorRef).kind !== 'tensor') fail('_rebuild_parameter: data is not a tensor');
      return args[0];
    },
  });
  for (const s of Object.keys(STORAGES)) {
    g.set(`torch.${s}`, { name: s, call: () => fail(`torch.${s} cannot be called in a checkpoint`) });
  }
  return g;
}

function storageLoader(fail: (m: string) => never, legacy: boolean) {
  const byKey = new Map<string, StorageRef>();
  return {
    byKey,
    load(pid: unknown): StorageRef {
      if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') fail('persistent id is not a storage record');
      const [, type, key, , numel, view] = (pid as PyTuple).items;
      const name = (type as PyGlobal | undefined)?.name;
      const info = name ? STORAGES[name] : undefined;
      if (!info) fail(`storage type ${String(name)} is not supported`);
      if (typeof key !== 'string' && !Number.isSafeInteger(key)) fail('storage key is not a string');
      if (!isCount(numel)) fail(`storage ${String(key)} has invalid size ${String(numel)}`);
      const k = String(key);
      let root = byKey.get(k);
      if (!root) {
        root = { kind: 'storage', key: k, type: info![0], dtype: info![1], esize: info![2], numel: numel as number };
        byKey.set(k, root);
      } else if (root.type !== info![0]) {
        fail(`storage ${k} is read as both ${root.dtype} and ${info![1]}`);
      }
      if (legacy && view instanceof PyTuple) { // (view_key, offset, view_size): a slice of the root storage
        const [, off, n] = view.items;
        if (!isCount(off) || !isCount(n) || (off as number) + (n as number) > root.numel) fail(`storage view of ${k} lies outside it`);
        return { ...root, view: { offset: off as number, numel: n as number } };
      }
      return root;
    },
  };
}

/** Walks the unpickled object, yielding each tensor under its dotted key (nested dicts joined with '.'). */
function collect(obj: unknown, fail: (m: string) => never): [string, TensorRef][] {
  const out: [string, TensorRef][] = [];
  let nodes = 0;
  const walk = (v: unknown, prefix: string, depth: number) => {
    if (++nodes > MAX_NODES) fail(`more than ${MAX_NODES} objects in the checkpoint`);
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    if (v && (v as TensorRef).kind === 'tensor') {
      out.push([prefix, v as TensorRef]);
    } else if (v instanceof PyDict) {
      for (const [k, x] of v.entries) walk(x, prefix ? `${prefix}.${String(k)}` : String(k), depth + 1);
    }
  };
  walk(obj, '', 0);
  if (out.length === 0) fail('no tensors found (expected a state dict)');
  return out;
}

function materialise(refs: [string, TensorRef][], bytesOf: (s: StorageRef) => Uint8Array, fail: (m: string) => never, into: PthStateDict): void {
  for (const [key, r] of refs) {
    const s = r.storage;
    const all = bytesOf(s);
    if (all.length < s.numel * s.esize) fail(`storage ${s.key} of '${key}' declares ${s.numel} elements but holds ${Math.floor(all.length / s.esize)}`);
    const base = s.view ? s.view.offset : 0;
    const numel = s.view ? s.view.numel : s.numel;
    const bytes = all.subarray(base * s.esize, (base + numel) * s.esize);
    try {
      into.set(key, new Tensor(native.tensorFromStorage(bytes, s.type, { storageNumel: numel, offset: r.offset, shape: r.shape, strides: r.stride })));
    } catch (e) {
      fail(`'${key}': ${(e as Error).message}`);
    }
    into.dtypes.set(key, s.dtype);
  }
}

function loadZip(buf: Uint8Array, opts: LoadPthOptions, fail: (m: string) => never, out: PthStateDict): void {
  const maxEntry = opts.maxEntryBytes ?? 8 * 2 ** 30;
  const maxRatio = opts.maxCompressionRatio ?? 100;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(buf, {
      filter: (f) => {
        if (f.originalSize > maxEntry) fail(`zip entry ${f.name} would be ${f.originalSize} bytes (limit ${maxEntry})`);
        if (f.compression !== 0 && f.originalSize > maxRatio * Math.max(f.size, 1024)) fail(`zip entry ${f.name} expands ${f.size} bytes to ${f.originalSize} (a zip bomb?)`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof PthError) throw e;
    return fail(`not a readable zip archive: ${(e as Error).message}`);
  }
  const pkl = Object.keys(files).find((k) => k === 'data.pkl' || k.endsWith('/data.pkl'));
  if (!pkl) return fail('zip archive has no data.pkl (not a torch.save file)');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = files[`${prefix}byteorder`];
  if (order && Buffer.from(order).toString() !== 'little') fail(`byte order '${Buffer.from(order).toString()}' is not supported`);
  const storages = storageLoader(fail, false);
  const { value } = unpickle(files[pkl], { globals: makeGlobals(fail), persistentLoad: (p) => storages.load(p), what: `${pkl}` });
  materialise(collect(value, fail), (s) => {
    const data = files[`${prefix}data/${s.key}`];
    if (!data) fail(`storage ${s.key} is missing from the archive`);
    return data;
  }, fail, out);
}

function loadLegacy(buf: Uint8Array, fail: (m: string) => never, out: PthStateDict): void {
  const none = new Map<string, PyGlobal>();
  let pos = 0;
  const next = (what: string, globals = none, persistentLoad?: (p: unknown) => unknown) => {
    const r = unpickle(buf, { globals, persistentLoad, what }, pos);
    pos = r.end;
    return r.value;
  };
  const magic = next('magic number');
  if (magic !== LEGACY_MAGIC) fail('not a torch checkpoint (no zip header and no legacy magic number)');
  const protocol = next('protocol version');
  if (protocol !== 1001) fail(`legacy protocol ${String(protocol)} is not supported (expected 1001)`);
  const sys = next('sys info');
  if (sys instanceof PyDict && sys.entries.get('little_endian') === false) fail('big-endian checkpoints are not supported');
  const storages = storageLoader(fail, true);
  const obj = next('data.pkl', makeGlobals(fail), (p) => storages.load(p));
  const keys = next('storage keys');
  if (!Array.isArray(keys)) fail('storage key list is not a list');
  const data = new Map<string, Uint8Array>();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const k of keys as unknown[]) {
    const s = storages.byKey.get(String(k));
    if (!s) fail(`storage ${String(k)} is listed but never used`);
    if (pos + 8 > buf.length) fail(`truncated before storage ${String(k)}`);
    const n = view.getBigInt64(pos, true);
    pos += 8;
    if (n < 0n || n !== BigInt(s!.numel)) fail(`storage ${String(k)} holds ${n} elements but the pickle says ${s!.numel}`);
    const len = s!.numel * s!.esize;
    if (pos + len > buf.length) fail(`storage ${String(k)} is truncated (${buf.length - pos} of ${len} bytes)`);
    data.set(String(k), buf.subarray(pos, pos + len));
    pos += len;
  }
  materialise(collect(obj, fail), (s) => data.get(s.key) ?? fail(`storage ${s.key} has no data`), fail, out);
}

/**
 * Reads a torch.save file (zip or legacy format) into float32 CPU tensors keyed as in the state dict.
 * Nested dicts give dotted keys; values that are not tensors are skipped. Anything other than tensors,
 * storages and (ordered) dicts — a pickled class, a function, os.system — is an Error naming it.
 */
export function loadPth(src: string | Uint8Array, opts: LoadPthOptions = {}): PthStateDict {
  const what = typeof src === 'string' ? src : `a ${src.length}-byte buffer`;
  const fail = (m: string): never => {
    throw new PthError(`loadPth: ${what}: ${m}`);
  };
  let buf: Uint8Array;
  if (typeof src === 'string') buf = fs.readFileSync(src);
  else if (src instanceof Uint8Array) buf = src;
  else throw new TypeError('loadPth: expected a path, a Buffer or a Uint8Array');
  const out = new PthStateDict();
  try {
    if (buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) {
      out.format = 'zip';
      loadZip(buf, opts, fail, out);
    } else if (buf.length >= 2 && buf[0] === 0x80) {
      out.format = 'legacy';
      loadLegacy(buf, fail, out);
    } else {
      fail('not a torch checkpoint (neither a zip archive nor a legacy pickle)');
    }
  } catch (e) {
    for (const t of out.values()) t.dispose();
    if (e instanceof PthError) throw e;
    if (e instanceof UnpicklingError) throw new Error(`loadPth: ${what}: ${e.message}`);
    if (e instanceof RangeError) throw new Error(`loadPth: ${what}: ${e.message}`);
    throw e;
  }
  return out;
}
