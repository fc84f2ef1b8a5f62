// A one-node ONNX Conv model written by hand: the protobuf wire format is small enough (varints,
// length-delimited fields, little-endian floats) that a 40-line encoder beats a dependency.
// Field numbers from onnx.proto3 (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).

class Pb {
  private parts: Uint8Array[] = [];
  private varint(v: number): void {
    const b: number[] = [];
    while (v >= 0x80) { b.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
    b.push(v);
    this.parts.push(Uint8Array.from(b));
  }
  private key(field: number, wire: number): void { this.varint(field * 8 + wire); }
  int(field: number, v: number): this { this.key(field, 0); this.varint(v); return this; }
  bytes(field: number, data: Uint8Array): this { this.key(field, 2); this.varint(data.length); this.parts.push(data); return this; }
  str(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field: number, m: Pb): this { return this.bytes(field, m.finish()); }
  finish(): Uint8Array {
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2;
const ATTR_INTS = 7;

function intsAttr(name: string, v: number[]): Pb {
  const a = new Pb().str(1, name).int(20, ATTR_INTS);
  for (const x of v) a.int(8, x);
  return a;
}

function valueInfo(name: string, shape: number[]): Pb {
  const dims = new Pb();
  for (const d of shape) dims.msg(1, new Pb().int(1, d));
  return new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, FLOAT).msg(2, dims)));
}

function initializer(name: string, shape: number[], data: Float32Array): Pb {
  const t = new Pb();
  for (const d of shape) t.int(1, d);
  t.int(2, FLOAT).str(8, name);
  return t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

export interface OnnxConv {
  input: number[];  // [N, C, H, W]
  weight: number[]; // [K, C/g, R, S]
  stride: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  dilation: [number, number];
  groups: number;
  output: number[];
}

/** Serialized ModelProto of Y = Conv(X, W, B) (+ Relu when relu). */
export function onnxConvModel(c: OnnxConv, w: Float32Array, b: Float32Array, relu: boolean): Uint8Array {
  const conv = new Pb().str(1, 'X').str(1, 'W').str(1, 'B').str(2, relu ? 'Z' : 'Y').str(3, 'conv').str(4, 'Conv')
    .msg(5, intsAttr('kernel_shape', c.weight.slice(2)))
    .msg(5, intsAttr('strides', c.stride))
    .msg(5, intsAttr('pads', [c.pads[0], c.pads[1], c.pads[2], c.pads[3]]))
    .msg(5, intsAttr('dilations', c.dilation))
    .msg(5, new Pb().str(1, 'group').int(20, ATTR_INT).int(3, c.groups));
  const graph = new Pb().msg(1, conv);
  if (relu) graph.msg(1, new Pb().str(1, 'Z').str(2, 'Y').str(3, 'relu').str(4, 'Relu'));
  graph.str(2, 'conv_layer')
    .msg(5, initializer('W', c.weight, w))
    .msg(5, initializer('B', [c.weight[0]], b))
    .msg(11, valueInfo('X', c.input))
    .msg(12, valueInfo('Y', c.output));
  return new Pb().int(1, 8).str(2, 'convnets-bench').msg(7, graph).msg(8, new Pb().str(1, '').int(2, 13)).finish();
}

/** Serialized ModelProto of Y = Gemm(X, W, B, transB=1) (+ Relu when relu): torch's linear, W [out, in]. */
export function onnxLinearModel(rows: number, inF: number, outF: number, w: Float32Array, b: Float32Array, relu: boolean): Uint8Array {
  const gemm = new Pb().str(1, 'X').str(1, 'W').str(1, 'B').str(2, relu ? 'Z' : 'Y').str(3, 'gemm').str(4, 'Gemm')
    .msg(5, new Pb().str(1, 'transB').int(20, ATTR_INT).int(3, 1));
  const graph = new Pb().msg(1, gemm);
  if (relu) graph.msg(1, new Pb().str(1, 'Z').str(2, 'Y').str(3, 'relu').str(4, 'Relu'));
  graph.str(2, 'linear_layer')
    .msg(5, initializer('W', [outF, inF], w))
    .msg(5, initializer('B', [outF], b))
    .msg(11, valueInfo('X', [rows, inF]))
    .msg(12, valueInfo('Y', [rows, outF]));
  return new Pb().int(1, 8).str(2, 'convnets-bench').msg(7, graph).msg(8, new Pb().str(1, '').int(2, 13)).finish();
}
