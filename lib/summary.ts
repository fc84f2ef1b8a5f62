// summary(model, inputShape): per leaf layer its output shape, parameters and MACs, from shape inference
// alone (no kernel runs, so it is instant even for VGG), plus totals and a printable table. Every layer checks
// its input as its forward() does (the same native checks for conv and pooling), and a shape forward() would
// reject is an Error naming the layer.
import { layerOfShapeError, Module, observeShapes } from './nn/module';
import { Shape } from './tensor';

export interface LayerSummary {
  name: string;
  type: string;
  inputShape: number[];
  outputShape: number[];
  params: number;
  /** Multiply-accumulates for the whole input batch (conv: K·C/g·R·S·OH·OW·N, linear: in·out·rows). */
  macs: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  inputShape: number[];
  outputShape: number[];
  /** Every parameter of the model (aux heads included even when they do not run). */
  totalParams: number;
  totalMacs: number;
  text: string;
}

const count = (n: number): string => n.toLocaleString('en-US');
const shapeStr = (s: Shape): string => `[${s.join(', ')}]`;

export function summary(model: Module, inputShape: Shape): ModelSummary {
  const names = new Map<Module, string>(model.namedModules().map(([n, m]) => [m, n || model.typeName]));
  const layers: LayerSummary[] = [];
  let outputShape: number[];
  try {
    outputShape = observeShapes(record, () => model.outputShape(inputShape));
  } catch (e) {
    const at = layerOfShapeError(e);
    if (!at) throw e;
    throw new Error(`summary(${model.typeName}, ${shapeStr(inputShape)}): layer '${names.get(at.module) ?? at.module.typeName}' ` +
      `(${at.module.typeName}) with input ${shapeStr(at.input)}: ${(e as Error).message}`);
  }
  function record(m: Module, input: Shape, output: Shape): void {
    if (m.children().length) return;
    const macs = (m as { macs?: (out: Shape) => number }).macs?.(output) ?? 0;
    layers.push({
      name: names.get(m) ?? m.typeName,
      type: m.typeName,
      inputShape: [...input],
      outputShape: [...output],
      params: m.namedParameters().reduce((a, [, t]) => a + t.numel, 0),
      macs,
    });
  }
  const totalParams = model.parameters().reduce((a, t) => a + t.numel, 0);
  const totalMacs = layers.reduce((a, l) => a + l.macs, 0);
  return { layers, inputShape: [...inputShape], outputShape, totalParams, totalMacs, text: format(model, inputShape, layers, totalParams, totalMacs) };
}

function format(model: Module, input: Shape, layers: LayerSummary[], params: number, macs: number): string {
  const head = ['Layer', 'Type', 'Output shape', 'Params', 'MACs'];
  const rows = layers.map((l) => [l.name, l.type, shapeStr(l.outputShape), count(l.params), count(l.macs)]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ');
  const rule = '-'.repeat(width.reduce((a, w) => a + w + 2, -2));
  return [
    `${model.typeName} for input ${shapeStr(input)}`,
    rule, line(head), rule, ...rows.map(line), rule,
    `Total params: ${count(params)}`,
    `Total MACs: ${count(macs)} (${(macs / 1e9).toFixed(3)} G)`,
  ].join('\n');
}
