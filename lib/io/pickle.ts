// An allow-list unpickler for torch checkpoints (what torch.load(weights_only=True) accepts, narrowed to
// state dicts): a stack machine over pickle opcodes (protocols 0-5) that never imports or calls anything.
// A GLOBAL resolves only through the `globals` table the caller passes; any other name is an Error naming
// it. REDUCE / NEWOBJ / BUILD call only those resolved functions; BINPERSID asks the caller's persistentLoad.
// Every read is bounds-checked: a truncated or lying pickle is an Error, never a read past the buffer.

/** A Python dict (also OrderedDict): insertion-ordered, keys are strings or numbers. */
export class PyDict {
  readonly entries = new Map<unknown, unknown>();
  /** BUILD state (e.g. a state dict's `_metadata`). */
  state: unknown = undefined;
}

/** A Python tuple (lists are plain arrays). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A resolved global: a callable the pickle may REDUCE / NEWOBJ with arguments. */
export type PyGlobal = { name: string; call(args: unknown[]): unknown };

export interface UnpickleOptions {
  /** module.name → implementation; anything else is refused. */
  globals: ReadonlyMap<string, PyGlobal>;
  /** The object a BINPERSID / PERSID id stands for (torch's storages). */
  persistentLoad?(pid: unknown): unknown;
  /** Refuse pickles with more than this many opcodes / stack entries (default 1e8). */
  maxOps?: number;
  /** Where the pickle came from, for messages. */
  what?: string;
}

const MARK = Symbol('mark');

export class UnpicklingError extends Error {}

/** Unpickles one object from `buf` starting at `start`; returns it and the offset after STOP. */
export function unpickle(buf: Uint8Array, opts: UnpickleOptions, start = 0): { value: unknown; end: number } {
  const what = opts.what ?? 'pickle';
  const fail = (msg: string): never => {
    throw new UnpicklingError(`${what}: ${msg}`);
  };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const maxOps = opts.maxOps ?? 1e8;
  let pos = start;
  const need = (n: number) => {
    if (!(n >= 0) || pos + n > buf.length) fail(`truncated at byte ${pos} (needs ${n} more bytes, ${buf.length - pos} left)`);
  };
  const u8 = () => (need(1), buf[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is too large`);
    return Number(v);
  };
  const bytes = (n: number) => (need(n), (pos += n), buf.subarray(pos - n, pos));
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail(`truncated text line at byte ${pos}`);
    const s = Buffer.from(buf.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  const longBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const pop = () => (stack.length === 0 ? fail('stack underflow') : stack.pop());
  const top = () => (stack.length === 0 ? fail('stack underflow') : stack[stack.length - 1]);
  const popMark = (): unknown[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] === MARK) {
        const items = stack.slice(i + 1);
        stack.length = i;
        return items;
      }
    }
    return fail('MARK not found');
  };
  const resolve = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    const g = opts.globals.get(full);
    if (!g) fail(`refusing global '${full}': only ${[...opts.globals.keys()].join(', ')} may appear in a checkpoint`);
    return g!;
  };
  const call = (f: unknown, args: unknown): unknown => {
    if (!f || typeof (f as PyGlobal).call !== 'function') fail('REDUCE of something that is not an allowed global');
    if (!(args instanceof PyTuple)) fail(`arguments of ${(f as PyGlobal).name} are not a tuple`);
    return (f as PyGlobal).call((args as PyTuple).items);
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof PyDict)) fail('SETITEM(S) on something that is not a dict');
    if (kv.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (typeof k !== 'string' && typeof k !== 'number') fail(`dict key of type ${typeof k} is not supported`);
      (d as PyDict).entries.set(k, kv[i + 1]);
    }
  };
  const append = (l: unknown, items: unknown[]) => {
    if (!Array.isArray(l)) fail('APPEND(S) on something that is not a list');
    for (const it of items) (l as unknown[]).push(it);
  };

  for (let ops = 0; ; ops++) {
    if (ops > maxOps || stack.length > maxOps) fail(`more than ${maxOps} operations`);
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME (the length is a hint)
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} items on the stack`);
        return { value: stack[0], end: pos };
      case 0x28: stack.push(MARK); break; // MARK
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { const d = new PyDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: stack.push(longBytes(bytes(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0 || n > 1 << 16) fail(`LONG4 of ${n} bytes`); stack.push(longBytes(bytes(n))); break; }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x49: { // INT (text; 01/00 are True/False)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x4c: stack.push(Number.parseInt(line().replace(/L$/, ''), 10)); break; // LONG (text)
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT (text)
      case 0x58: stack.push(utf8(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(bytes(u64()))); break; // BINUNICODE8
      case 0x54: { const n = i32(); if (n < 0) fail('negative string length'); stack.push(Buffer.from(bytes(n)).toString('latin1')); break; } // BINSTRING
      case 0x55: stack.push(Buffer.from(bytes(u8())).toString('latin1')); break; // SHORT_BINSTRING
      case 0x42: stack.push(bytes(u32())); break; // BINBYTES
      case 0x43: stack.push(bytes(u8())); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64())); break; // BINBYTES8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII keys in practice)
      case 0x53: stack.push(line().replace(/^'(.*)'$/, '$1')); break; // STRING
      case 0x70: memo.set(Number.parseInt(line(), 10), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: case 0x68: case 0x6a: { // GET, BINGET, LONG_BINGET
        const k = op === 0x67 ? Number.parseInt(line(), 10) : op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} is not defined`);
        stack.push(memo.get(k));
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const module = line(); const name = line(); stack.push(resolve(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x69: { // INST (protocol 0): module, name, then the arguments since MARK
        const module = line();
        const name = line();
        const g = resolve(module, name);
        stack.push(call(g, new PyTuple(popMark())));
        break;
      }
      case 0x6f: { const [cls, ...args] = popMark(); stack.push(call(cls, new PyTuple(args))); break; } // OBJ
      case 0x52: { const args = pop(); const f = pop(); stack.push(call(f, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x62: { // BUILD: only dicts take state (an OrderedDict's attributes such as _metadata)
        const state = pop();
        const obj = top();
        if (!(obj instanceof PyDict)) fail('BUILD on something that is not a dict');
        (obj as PyDict).state = state;
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent id without a loader');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID (text)
        const pid = line();
        if (!opts.persistentLoad) fail('persistent id without a loader');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}') at byte ${at}`);
    }
  }
}
