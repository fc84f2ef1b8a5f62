// Sequential: children run in order, named "0", "1", … (or given names, as torch's OrderedDict form).
import { Shape, Tensor } from '../tensor';
import { ReLU } from './activation';
import { Module, step } from './module';

/** Layers that can fuse a following ReLU into their output (Conv2d, Linear, BatchNorm2d). */
interface ReluFusable {
  forwardRelu(x: Tensor): Tensor;
}
const fusesRelu = (m: Module): m is Module & ReluFusable => typeof (m as Partial<ReluFusable>).forwardRelu === 'function';

export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }

  /** torch's nn.Sequential(OrderedDict([...])): children under the given names. */
  static named(entries: [string, Module][]): Sequential {
    const s = new Sequential();
    for (const [name, m] of entries) s.registerModule(name, m);
    return s;
  }

  /** torch's add_module. */
  addModule(name: string, module: Module): this {
    this.registerModule(name, module);
    return this;
  }

  get length(): number {
    return this.children().length;
  }

  at<M extends Module = Module>(index: number): M {
    const list = this.children();
    const m = list[index < 0 ? index + list.length : index];
    if (!m) throw new Error(`Sequential: index ${index} out of range for ${list.length} modules`);
    return m as M;
  }

  /** Runs the children in order; a layer followed by a ReLU runs as one fused op (same result). */
  forward(x: Tensor): Tensor {
    const list = this.children();
    let y = x;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (fusesRelu(m) && list[i + 1] instanceof ReLU) {
        y = step(y, x, (t) => m.forwardRelu(t));
        i++;
      } else {
        y = step(y, x, (t) => m.forward(t));
      }
    }
    return y;
  }

  protected inferShape(input: Shape): number[] {
    return this.children().reduce<number[]>((s, m) => m.outputShape(s), [...input]);
  }
}
