// Convolution (F.conv2d), the algorithm registry/chooser queries and prepared-weight plans.
import { native, NativeConvGeometry, NativeConvPlan, NativeConvQuery } from '../native';
import { Tensor, Shape, Precision } from '../tensor';
import { Activation, activationArg, optionsArg, Size2, tensorArg } from './args';

export type Pair = Size2;
/** The CPU registry's algorithms, in its order (test/algorithms/registry-names.test.ts checks them against it). */
export const CPU_CONV_ALGORITHMS = ['direct', 'im2col', 'implicit_gemm', 'gemm_1x1', 'winograd_2x2_3x3', 'winograd_4x4_3x3', 'direct_nchwc'] as const;
/** The CUDA registry's algorithms, in its order (checked the same way). */
export const CUDA_CONV_ALGORITHMS = ['direct', 'im2col', 'implicit_gemm', 'gemm_1x1', 'winograd_2x2_3x3', 'winograd_4x4_3x3', 'implicit_gemm_tc'] as const;
/** The convolution algorithms of the CPU and CUDA registries (docs: README, "Convolution algorithms"). */
export type ConvAlgorithmName = (typeof CPU_CONV_ALGORITHMS)[number] | (typeof CUDA_CONV_ALGORITHMS)[number];
/** What a caller may ask for: the heuristic ('auto'), timing every supported algorithm ('find'), or one by name. */
export type ConvAlgo = 'auto' | 'find' | ConvAlgorithmName;

/** The geometry shared by F.conv2d, ConvPlan and nn.Conv2d (torch's arguments and defaults). */
export interface ConvGeometry {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}

/** Options of F.conv2d and new ConvPlan(...). (nn.Conv2d's constructor takes nn.Conv2dLayerOptions.) */
export interface Conv2dOptions extends ConvGeometry {
  activation?: Activation;
  /** 'auto' (heuristic, default), 'find' (time every supported algorithm once, cache the winner) or a name. */
  algo?: ConvAlgo;
  /**
   * CUDA only: the most scratch bytes the algorithm may use; 'auto'/'find' skip algorithms needing more,
   * and naming one that needs more is an error that names the limit. Default: no limit.
   */
  workspaceLimit?: number;
  /**
   * 'fp32' (default, exact) or, on CUDA, 'tf32' | 'bf16' | 'fp16': tensor cores (implicit_gemm_tc, sm_80+) with
   * operands rounded to that precision, fp32 accumulation and fp32 output. The CPU refuses the reduced ones.
   */
  precision?: Precision;
}

/** A convolution described by shapes (for the registry queries). */
export interface ConvDescription extends ConvGeometry {
  input: Shape;
  weight: Shape;
  /** The precision the convolution runs in ('fp32' default): implicit_gemm_tc supports only the reduced ones. */
  precision?: Precision;
}

/** Which registry a query asks: 'cpu' (default) or 'cuda' / 'cuda:N', and the CUDA workspace limit in bytes (or just the device string). */
export interface ConvQueryOptions {
  device?: string;
  workspaceLimit?: number;
}

/** A query's native options: the description's geometry and precision, the device and workspace limit (a bare string is the device). */
function query(op: string, desc: ConvDescription, opts: ConvQueryOptions | string): NativeConvQuery {
  const o = typeof opts === 'string' ? { device: opts } : opts;
  return { ...geometry(op, desc), precision: desc.precision, device: o.device ?? 'cpu', workspaceLimit: o.workspaceLimit ?? null };
}

function pair(op: string, name: string, v: Pair | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  throw new TypeError(`${op}: ${name} must be a number or [h, w], got ${JSON.stringify(v)}`);
}

function padding(op: string, v: Pair | 'same' | 'valid' | undefined): [number, number] | 'same' | 'valid' {
  return typeof v === 'string' ? v : pair(op, 'padding', v, 0);
}

function geometry(op: string, g: ConvGeometry): NativeConvGeometry {
  return { stride: pair(op, 'stride', g.stride, 1), padding: padding(op, g.padding), dilation: pair(op, 'dilation', g.dilation, 1),
    groups: g.groups ?? 1 };
}

/** conv2d's and ConvPlan's native options (messages name `op`'s geometry as 'conv2d'). */
function convOptions(opts: Partial<Conv2dOptions>) {
  return { ...geometry('conv2d', opts), relu: activationArg('conv2d', { activation: opts.activation }), algo: opts.algo ?? 'auto',
    workspaceLimit: opts.workspaceLimit ?? null, precision: opts.precision };
}

/**
 * 2-D convolution (torch.nn.functional.conv2d): input [N, C, H, W], weight [K, C/groups, R, S], bias [K].
 * On the CPU the packed/transformed weights are cached per weight tensor (convCacheStats()), so a loop over the
 * same weight prepares it once; writing into the weight invalidates its entry, and while a data() view of the
 * weight is alive (it could be written through) nothing is cached for it. A ConvPlan holds them explicitly.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const opts = optionsArg('conv2d', options);
  return new Tensor(native.conv2d(tensorArg('conv2d', 'input', input).handle, tensorArg('conv2d', 'weight', weight).handle,
    bias ? tensorArg('conv2d', 'bias', bias).handle : null, convOptions(opts)));
}

/**
 * Every registered algorithm of `device`'s registry ('cpu' default, or 'cuda') for `desc`: whether it can
 * run it (else why not) and its scratch bytes. The CUDA list is host logic: it works without a GPU.
 */
export function convAlgorithms(desc: ConvDescription, opts: ConvQueryOptions | string = {}):
  { name: ConvAlgorithmName; supported: boolean; reason: string; workspaceBytes: number }[] {
  return native.convAlgorithms(desc.input.slice(), desc.weight.slice(), query('convAlgorithms', desc, opts)) as
    { name: ConvAlgorithmName; supported: boolean; reason: string; workspaceBytes: number }[];
}

/**
 * Times every supported algorithm on `desc` (random data) on `device`, fastest first; caches the winner
 * for algo: 'find'. On 'cuda' it throws why CUDA is unavailable when it is.
 */
export function findConvAlgorithm(desc: ConvDescription, opts: ConvQueryOptions | string = {}):
  { algo: ConvAlgorithmName; timeMs: number; workspaceBytes: number }[] {
  return native.findConvAlgorithm(desc.input.slice(), desc.weight.slice(), query('findConvAlgorithm', desc, opts)) as
    { algo: ConvAlgorithmName; timeMs: number; workspaceBytes: number }[];
}

/** The algorithm `algo` ('auto' | 'find' | a name) resolves to for `desc` (throws the reason if unsupported). */
export function chooseConvAlgorithm(desc: ConvDescription, algo: ConvAlgo = 'auto', opts: ConvQueryOptions | string = {}): ConvAlgorithmName {
  return native.chooseConvAlgorithm(desc.input.slice(), desc.weight.slice(), { ...query('chooseConvAlgorithm', desc, opts), algo }) as
    ConvAlgorithmName;
}

/**
 * Weights of one conv layer packed/transformed once for its algorithm (chosen for `inputShape`); run()
 * reuses them. A weight on CUDA makes a CUDA plan (the CUDA registry; prepared weights on that device).
 * nn.Conv2d keeps one. The packed copy is freed by dispose() (or `using`), else when garbage collected.
 */
export class ConvPlan {
  private readonly plan: NativeConvPlan;
  constructor(weight: Tensor, bias: Tensor | null | undefined, inputShape: Shape, opts: Conv2dOptions = {}) {
    this.plan = native.convPrepare(tensorArg('ConvPlan', 'weight', weight).handle, bias ? tensorArg('ConvPlan', 'bias', bias).handle : null, inputShape.slice(),
      convOptions(opts));
  }
  /** The algorithm the plan runs. */
  get algo(): ConvAlgorithmName {
    return this.plan.algo as ConvAlgorithmName;
  }
  /** Bytes of packed/transformed weights it holds. */
  get preparedBytes(): number {
    return this.plan.preparedBytes;
  }
  run(input: Tensor): Tensor {
    return new Tensor(native.convRun(this.plan, input.handle));
  }
  /** Frees the prepared weights now; run() then throws. A second call does nothing. */
  dispose(): void {
    native.convDispose(this.plan);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Test hook: one Winograd transform ('weight' 3×3 → α×α, 'input' α×α → α×α, 'output' α×α → m×m) on whole tiles. */
export function winogradTransform(variant: 'winograd_2x2_3x3' | 'winograd_4x4_3x3', which: 'weight' | 'input' | 'output', data: Float32Array): Float32Array {
  return native.winogradTransform(variant, which, data);
}

/** Eager conv's prepared-weight cache: entries, bytes held, its bound, hits and misses since the last clear. */
export interface ConvCacheStats { entries: number; bytes: number; limitBytes: number; hits: number; misses: number }

export function convCacheStats(): ConvCacheStats {
  return native.convCacheStats();
}

/**
 * Bounds the prepared-weight cache (bytes; default 512 MiB or env CONVNETS_CONV_CACHE_BYTES), evicting least
 * recently used entries to fit. 0 turns it off: every F.conv2d then prepares its weights, and 'auto' counts
 * that cost in its choice (e.g. an implicit GEMM rather than Winograd on 7×7 images).
 */
export function setConvCacheLimit(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new TypeError(`setConvCacheLimit: bytes must be a non-negative integer, got ${bytes}`);
  native.setConvCacheLimit(bytes);
}

/** Drops every cached prepared weight (and zeroes the hit/miss counters). */
export function clearConvCache(): void {
  native.clearConvCache();
}
