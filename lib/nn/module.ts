// Module: torch.nn.Module's bookkeeping — named children in registration order, parameters and buffers,
// state dicts with torch's key order, train/eval — plus shape inference (outputShape) used by summary().
import type { ConvAlgo } from '../functional/conv';
import { Device, Shape, Tensor } from '../tensor';

export type StateDict = Map<string, Tensor> | Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Called for every module whose output shape is inferred (summary() records the leaves with it). */
export type ShapeObserver = (module: Module, input: Shape, output: Shape) => void;
let shapeObserver: ShapeObserver | null = null;

/** Runs `fn` with `observer` seeing every outputShape() call; restores the previous observer after. */
export function observeShapes<T>(observer: ShapeObserver, fn: () => T): T {
  const prev = shapeObserver;
  shapeObserver = observer;
  try {
    return fn();
  } finally {
    shapeObserver = prev;
  }
}

// The innermost module whose shape inference threw each error (summary() names it).
const failedLayer = new WeakMap<object, { module: Module; input: number[] }>();
export function layerOfShapeError(e: unknown): { module: Module; input: number[] } | undefined {
  return typeof e === 'object' && e !== null ? failedLayer.get(e) : undefined;
}

// torchvision's DenseNet checkpoints from before 0.3 name the layers `norm.1`, `relu.1`, `conv.2`…;
// the modules are `norm1`, `relu1`, `conv2` (torchvision's own _load_state_dict applies this same regex).
const LEGACY_DENSENET = /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var|num_batches_tracked))$/;

// BatchNorm's step counter only matters for training with momentum=None; checkpoints may or may not have it.
const isBatchCounter = (key: string): boolean => key.endsWith('num_batches_tracked');

const shapeStr = (s: Shape): string => `[${s.join(', ')}]`;

export abstract class Module {
  /** Training mode (torch's default for a new module); eval() switches it off recursively. */
  training = true;
  private readonly childMap = new Map<string, Module>();
  private readonly paramMap = new Map<string, Tensor | null>();
  private readonly bufferMap = new Map<string, Tensor | null>();

  /** Called when this module's parameters or buffers are replaced, moved or freed (layers drop caches). */
  protected stateChanged(): void {}

  /** torch's class name for this module (what named_modules() shows); subclasses named differently override. */
  get typeName(): string {
    return this.constructor.name;
  }

  abstract forward(x: Tensor): Tensor;

  /** The output shape for an input of `input`, computed without running any kernel. */
  protected abstract inferShape(input: Shape): number[];

  /**
   * The output shape for an input of `input`, without running a kernel. Layers check exactly what their
   * forward() checks and throw the same message; layerOfShapeError(e) tells which layer threw.
   */
  outputShape(input: Shape): number[] {
    let out: number[];
    try {
      out = this.inferShape(input);
    } catch (e) {
      if (typeof e === 'object' && e !== null && !failedLayer.has(e)) failedLayer.set(e, { module: this, input: [...input] });
      throw e;
    }
    shapeObserver?.(this, input, out);
    return out;
  }

  // ---- registration -------------------------------------------------------------------------------------

  registerModule<M extends Module | null>(name: string, module: M): M {
    this.checkName(name, 'registerModule');
    if (module) this.childMap.set(name, module);
    else this.childMap.delete(name);
    return module;
  }

  registerParameter(name: string, t: Tensor | null): void {
    this.checkName(name, 'registerParameter');
    this.paramMap.set(name, t);
  }

  registerBuffer(name: string, t: Tensor | null): void {
    this.checkName(name, 'registerBuffer');
    this.bufferMap.set(name, t);
  }

  private checkName(name: string, what: string): void {
    if (!name || name.includes('.')) throw new Error(`${what}: name must be non-empty and contain no '.', got '${name}'`);
  }

  /** A parameter or buffer of this module by its local name (null for an absent optional one, e.g. bias=false). */
  protected tensor(name: string): Tensor | null {
    return this.paramMap.get(name) ?? this.bufferMap.get(name) ?? null;
  }

  protected child<M extends Module>(name: string): M {
    const m = this.childMap.get(name);
    if (!m) throw new Error(`${this.typeName}: no child module '${name}'`);
    return m as M;
  }

  // ---- traversal (torch's orders) -----------------------------------------------------------------------

  namedChildren(): [string, Module][] {
    return [...this.childMap];
  }

  children(): Module[] {
    return [...this.childMap.values()];
  }

  /** Pre-order, this module first under `prefix` ('' for the root), as torch's named_modules(). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.childMap) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedParameters(): [string, Tensor][] {
    return this.collect((m) => m.paramMap);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    return this.collect((m) => m.bufferMap);
  }

  private collect(pick: (m: Module) => Map<string, Tensor | null>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of pick(m)) if (t) out.push([prefix ? `${prefix}.${name}` : name, t]);
    }
    return out;
  }

  /** Parameters then buffers of each module, modules in pre-order: torch's state_dict() key order. */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const map of [m.paramMap, m.bufferMap]) {
        for (const [name, t] of map) if (t) out.set(prefix ? `${prefix}.${name}` : name, t);
      }
    }
    return out;
  }

  /** Where each state key lives, so loading can replace the tensor in its owner. */
  private stateSlots(): Map<string, { owner: Map<string, Tensor | null>; name: string; module: Module; tensor: Tensor }> {
    const out = new Map<string, { owner: Map<string, Tensor | null>; name: string; module: Module; tensor: Tensor }>();
    for (const [prefix, m] of this.namedModules()) {
      for (const owner of [m.paramMap, m.bufferMap]) {
        for (const [name, t] of owner) if (t) out.set(prefix ? `${prefix}.${name}` : name, { owner, name, module: m, tensor: t });
      }
    }
    return out;
  }

  /**
   * Keys of a checkpoint rewritten to this model's names, or null to drop the key. The base rewrites
   * torchvision's legacy DenseNet names; models override to add their own (GoogLeNet drops aux heads it lacks).
   */
  protected adaptStateKey(key: string, own: ReadonlySet<string>): string | null {
    if (own.has(key)) return key;
    const legacy = LEGACY_DENSENET.exec(key);
    if (legacy) {
      const renamed = legacy[1] + legacy[2];
      if (own.has(renamed)) return renamed;
    }
    return key;
  }

  /**
   * Copies `dict`'s tensors into this module's parameters and buffers. Checks everything first and throws
   * one Error listing every missing, unexpected and mis-shaped key (shape mismatches are errors even when
   * strict is false, as in torch); nothing is changed when it throws.
   */
  loadStateDict(dict: StateDict, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const entries: [string, Tensor][] = dict instanceof Map ? [...dict] : Object.entries(dict);
    const slots = this.stateSlots();
    const own = new Set(slots.keys());
    const incoming = new Map<string, Tensor>();
    const unexpectedKeys: string[] = [];
    const misShaped: string[] = [];
    for (const [key, t] of entries) {
      if (!(t instanceof Tensor)) throw new TypeError(`loadStateDict: value of '${key}' is not a Tensor`);
      const mapped = this.adaptStateKey(key, own);
      if (mapped === null) continue;
      const slot = slots.get(mapped);
      if (!slot) {
        if (!isBatchCounter(key)) unexpectedKeys.push(key);
        continue;
      }
      const want = slot.tensor.shape;
      const same = want.length === t.shape.length && want.every((d, i) => d === t.shape[i]);
      if (!same) misShaped.push(`${key}: checkpoint has ${shapeStr(t.shape)}, model has ${shapeStr(want)}`);
      else incoming.set(mapped, t);
    }
    const missingKeys = [...own].filter((k) => !incoming.has(k) && !isBatchCounter(k) && !misShaped.some((m) => m.startsWith(`${k}:`)));
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`missing keys (${missingKeys.length}): ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys (${unexpectedKeys.length}): ${unexpectedKeys.join(', ')}`);
    if (misShaped.length) problems.push(`mis-shaped keys (${misShaped.length}): ${misShaped.join('; ')}`);
    if (problems.length) throw new Error(`loadStateDict(${this.typeName}): ${problems.join('\n')}`);

    for (const [key, t] of incoming) {
      const slot = slots.get(key)!;
      const copy = Tensor.from(t.device === 'cpu' ? t.data() : t.to('cpu').data(), t.shape, { device: slot.tensor.device });
      slot.tensor.dispose();
      slot.owner.set(slot.name, copy);
      slot.module.stateChanged();
    }
    return { missingKeys, unexpectedKeys };
  }

  // ---- modes, devices, lifetime ---------------------------------------------------------------------------

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Moves every parameter and buffer to `device` (a copy; the old storage is freed). */
  to(device: Device): this {
    for (const m of this.modules()) {
      for (const map of [m.paramMap, m.bufferMap]) {
        for (const [name, t] of map) {
          if (t && t.device !== device) {
            map.set(name, t.to(device));
            t.dispose();
          }
        }
      }
      m.stateChanged();
    }
    return this;
  }

  /** Frees every parameter and buffer now, and what layers prepared from them (packed conv weights). */
  dispose(): void {
    for (const m of this.modules()) {
      for (const map of [m.paramMap, m.bufferMap]) for (const t of map.values()) t?.dispose();
      m.stateChanged();
    }
  }

  /** `using net = models.resnet18()` disposes the model at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Forces a convolution algorithm on every Conv2d below (layers that cannot use it fall back to auto). */
  setConvAlgorithm(algo: ConvAlgo): this {
    for (const m of this.modules()) (m as { setAlgorithm?: (a: string) => void }).setAlgorithm?.(algo);
    return this;
  }

  toString(): string {
    const lines = this.namedChildren().map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`);
    const head = `${this.typeName}(${this.extraRepr()}`;
    return lines.length ? `${head}\n${lines.join('\n')}\n)` : `${head})`;
  }

  protected extraRepr(): string {
    return '';
  }
}

/**
 * Runs `fn(x)`, then frees `x` unless it is the caller's input: the eager forward passes drop each
 * intermediate as soon as the next one exists, instead of waiting for the garbage collector.
 */
export function step(x: Tensor, keep: Tensor, fn: (x: Tensor) => Tensor): Tensor {
  const y = fn(x);
  if (x !== keep && y !== x) x.dispose();
  return y;
}
