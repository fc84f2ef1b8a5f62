// Argument readers for the functional ops: normalise the torch-style forms (number | [h, w], optional
// fields with defaults) and reject wrong types with a message that names the op and the argument. Range
// checks (positive, at most half the kernel, ...) happen natively, where every caller gets them.
import { Tensor } from '../tensor';

/** A size that applies to both spatial dimensions, or one per dimension as [h, w]. */
export type Size2 = number | readonly [number, number];

function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (typeof v === 'string') return `'${v}'`;
  if (v instanceof Tensor) return v.toString();
  return String(v);
}

export function tensorArg(op: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${show(v)}`);
  return v;
}

export function intArg(op: string, name: string, v: unknown): number {
  if (!Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${show(v)}`);
  return v as number;
}

export function numberArg(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${name} must be a number, got ${show(v)}`);
  return v;
}

export function boolArg(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${show(v)}`);
  return v;
}

/** number → [n, n]; [h, w] → [h, w]; anything else is an error naming op and argument. */
export function pairArg(op: string, name: string, v: unknown): [number, number] {
  if (Number.isInteger(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && Number.isInteger(v[1])) return [v[0], v[1]];
  throw new TypeError(`${op}: ${name} must be an integer or a pair of integers [h, w], got ${show(v)}`);
}

/** The options object of an op (undefined allowed when every field is optional). */
export function optionsArg<T extends object>(op: string, v: T | undefined, required = false): Partial<T> {
  if (v === undefined && !required) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${op}: options must be an object, got ${show(v)}`);
  return v;
}

/** A fresh seed for ops that draw random numbers when the caller gives none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 52);
}

/** A fused activation applied in the op's output write: the same name on every op that has one. */
export type Activation = 'none' | 'relu';

/** Options of the ops that fuse an activation; `relu: true` is the deprecated spelling of `activation: 'relu'`. */
export interface ActivationOptions {
  activation?: Activation;
  /** @deprecated use `activation: 'relu'` */
  relu?: boolean;
}

/** Whether to fuse a ReLU, from `activation` (or the deprecated `relu` flag; both given must agree). */
export function activationArg(op: string, o: ActivationOptions): boolean {
  const a: unknown = o.activation;
  if (a !== undefined && a !== 'none' && a !== 'relu') throw new TypeError(`${op}: activation must be 'none' or 'relu', got ${show(a)}`);
  if (o.relu === undefined) return a === 'relu';
  const relu = boolArg(op, 'relu', o.relu);
  if (a !== undefined && (a === 'relu') !== relu) {
    throw new TypeError(`${op}: activation ${show(a)} contradicts relu: ${relu} (relu is the deprecated spelling; pass only activation)`);
  }
  return relu;
}
