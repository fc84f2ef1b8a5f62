// safetensors (huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}, then the data bytes.
// Loading validates the whole header before touching any data, so a hostile or truncated file is an
// Error naming the problem and the tensor, never a read outside the file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { Tensor } from '../tensor';

/** Headers larger than this are refused (the reference implementation uses the same 100 MB cap). */
export const MAX_HEADER_BYTES = 100_000_000;

const SUPPORTED: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
// Valid safetensors dtypes that are not read here (no float32 meaning worth guessing).
const UNSUPPORTED = new Set(['U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range inside the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: TensorEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

const fail = (msg: string): never => {
  throw new Error(`safetensors: ${msg}`);
};

/** Top-level keys of a valid JSON object text, in order, duplicates kept (JSON.parse silently drops them). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth === 1) {
        let j = i + 1;
        while (/\s/.test(text[j] ?? '')) j++;
        if (text[j] === ':') keys.push(JSON.parse(text.slice(start, i + 1)) as string);
      }
    }
  }
  return keys;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Parses and checks the header of a whole file's bytes; throws on anything inconsistent. */
export function readHeader(buf: Uint8Array): SafetensorsHeader {
  if (buf.length < 8) fail(`file is ${buf.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  if (8 + headerLen > buf.length) fail(`header length ${headerLen} runs past the end of the file (${buf.length} bytes)`);
  const text = Buffer.from(buf.buffer, buf.byteOffset + 8, headerLen).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('header must be a JSON object');
  const seen = new Set<string>();
  for (const k of topLevelKeys(text)) {
    if (seen.has(k)) fail(`duplicate tensor name '${k}' in the header`);
    seen.add(k);
  }

  const dataStart = 8 + headerLen;
  const dataBytes = buf.length - dataStart;
  const entries: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string')) {
        fail('__metadata__ must be an object of strings');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const where = `tensor '${name}'`;
    if (typeof raw !== 'object' || raw === null) return fail(`${where}: entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string') return fail(`${where}: dtype must be a string`);
    if (!(dtype in SUPPORTED)) fail(`${where}: ${UNSUPPORTED.has(dtype) ? 'unsupported' : 'unknown'} dtype '${dtype}'`);
    if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`${where}: shape must be an array of non-negative integers`);
    let bytes = SUPPORTED[dtype];
    for (const d of shape as number[]) {
      // stays exact: every partial product is checked against 2^53 before it is formed
      if (d !== 0 && bytes > Number.MAX_SAFE_INTEGER / d) fail(`${where}: shape [${shape.join(', ')}] overflows (too many elements)`);
      bytes *= d;
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      return fail(`${where}: data_offsets must be two non-negative integers`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] are out of order (begin > end)`);
    if (end > dataBytes) fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes)`);
    if (end - begin !== bytes) {
      fail(`${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${bytes}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }

  // The tensors must tile the data section exactly, as the reference implementation requires.
  const byStart = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: TensorEntry | null = null;
  for (const e of byStart) {
    if (e.begin < cursor) fail(`tensors '${prev!.name}' and '${e.name}' overlap (bytes ${e.begin}..${Math.min(cursor, e.end)})`);
    if (e.begin > cursor) fail(`bytes ${cursor}..${e.begin} of the data section belong to no tensor (before '${e.name}')`);
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataBytes) fail(`the data section has ${dataBytes} bytes but the tensors cover ${cursor}`);
  return { entries, metadata, dataStart };
}

/** Reads every tensor of a safetensors file (or its bytes) as float32 (F16/BF16 and others are widened). */
export function loadSafetensors(source: string | Uint8Array): Map<string, Tensor> {
  const buf = typeof source === 'string' ? fs.readFileSync(source) : source;
  const header = readHeader(buf);
  const out = new Map<string, Tensor>();
  for (const e of header.entries) {
    const bytes = buf.subarray(header.dataStart + e.begin, header.dataStart + e.end);
    out.set(e.name, new Tensor(native.tensorFromBytes(bytes, e.dtype, e.shape)));
  }
  return out;
}

/** Writes `dict` as an F32 safetensors file, atomically: a temporary file beside `file`, then a rename. */
export function saveSafetensors(file: string, dict: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  const entries: [string, Tensor][] = dict instanceof Map ? [...dict] : Object.entries(dict);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error("saveSafetensors: '__metadata__' is reserved and cannot name a tensor");
    const bytes = t.numel * 4;
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // the data section starts 8-byte aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));

  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, head);
    fs.writeSync(fd, json);
    for (const [, t] of entries) {
      const data = t.data();
      fs.writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
