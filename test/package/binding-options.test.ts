// Bindings with more than four arguments take their operands positionally and the rest as one options object
// read by name (native/napi/common.h, Options; issue 20 item 8), so a new option shifts no positional index in
// native/napi, lib/native.ts and the callers. The first test keeps that true over lib/native.ts; the others
// check the reader's messages on the raw binding (lib/ always passes well-formed objects).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../lib/native';
import { Tensor } from '../../lib';

/** Each method of the NativeBinding interface with its parameters (split at top-level commas). */
function bindingParams(source: string): Map<string, string[]> {
  const start = source.indexOf('export interface NativeBinding {');
  expect(start).toBeGreaterThanOrEqual(0);
  const text = source.slice(start).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const out = new Map<string, string[]>();
  let depth = 0;
  for (let i = text.indexOf('{') + 1; i < text.length && depth >= 0; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    const m = depth === 0 ? /^\s*(\w+)\(/.exec(text.slice(i, i + 80)) : null;
    if (!m || !/[;{]\s*$|^\s*$/.test(text.slice(Math.max(0, i - 2), i + 1))) continue;
    const params: string[] = [];
    let j = i + m[0].length, nest = 0, param = '';
    for (; j < text.length; j++) {
      const d = text[j];
      if ('([{<'.includes(d)) nest++;
      else if (')]}'.includes(d) || (d === '>' && text[j - 1] !== '=')) {
        if (nest === 0) break;
        nest--;
      } else if (d === ',' && nest === 0) {
        params.push(param.trim());
        param = '';
        continue;
      }
      param += d;
    }
    if (param.trim()) params.push(param.trim());
    out.set(m[1], params);
    i = j;
  }
  return out;
}

describe('binding options', () => {
  test('no binding in lib/native.ts takes more than four arguments, but for tensor operands before its options', () => {
    const bindings = bindingParams(fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'native.ts'), 'utf8'));
    expect(bindings.get('conv2d')?.length).toBe(4);
    expect(bindings.get('relu')).toEqual(['x: NativeTensor']);
    expect(bindings.get('memory')).toEqual([]);
    expect(bindings.size).toBeGreaterThan(50);
    // batchNorm(x, runningMean, runningVar, weight, bias, {eps, relu}): torch's five operands, then the options.
    const operandsThenOptions = (ps: string[]) =>
      ps.slice(0, -1).every((p) => /^\w+: NativeTensor( \| null)?$/.test(p)) && /^\w+: (\{|Native\w+(Options|Query|Geometry))/.test(ps[ps.length - 1]);
    expect([...bindings].filter(([, ps]) => ps.length > 4 && !operandsThenOptions(ps)).map(([name]) => name)).toEqual([]);
  });

  test('the parameter reader splits at top-level commas only', () => {
    const src = 'export interface NativeBinding {\n  a(x: number, o: { p: number; q: string[] }): void;\n'
      + '  /** b(1, 2, 3) */\n  b(f: (u: number, v: number) => void, m: Map<string, number>, c?: number): { r: number; s: number };\n}\n';
    expect([...bindingParams(src)].map(([name, ps]) => [name, ps.length])).toEqual([['a', 2], ['b', 3]]);
  });

  describe('the native reader', () => {
    const x = Tensor.rand([1, 2, 5, 5], { seed: 1 });
    const w = Tensor.rand([3, 2, 3, 3], { seed: 2 });
    const geometry = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, relu: false, algo: 'auto' };
    const conv = (opts: unknown) => native.conv2d(x.handle, w.handle, null, opts as never);
    afterAll(() => {
      x.dispose();
      w.dispose();
    });

    test('reads the options by name', () => {
      const y = conv(geometry);
      expect(y.shape).toEqual([1, 3, 3, 3]);
      y.dispose();
    });

    test('rejects an unknown key by name, with the keys it knows', () => {
      expect(() => conv({ ...geometry, strides: [2, 2] })).toThrow(
        "conv2d: unknown option 'strides' (expected stride, padding, dilation, groups, precision, relu, algo, workspaceLimit)");
      expect(() => native.topk(x.handle, { k: 1, dim: -1, largest: true, sorted: true, lagest: false } as never))
        .toThrow("topk: unknown option 'lagest'");
    });

    test('a missing or mistyped option fails as the positional argument did: op and option named', () => {
      const { groups: _, ...noGroups } = geometry;
      expect(() => conv(noGroups)).toThrow('conv2d: groups must be an integer');
      expect(() => conv({ ...geometry, relu: 1 })).toThrow('conv2d: relu must be a boolean');
      expect(() => conv({ ...geometry, stride: [1, 1, 1] })).toThrow('conv2d: stride must have 2 values [h, w], got 3');
      expect(() => conv({ ...geometry, precision: 'fp8' })).toThrow(/conv2d: .*fp8/);
      expect(() => native.maxPool2d(x.handle, { kernelSize: [2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false }))
        .toThrow('maxPool2d: kernelSize must have 2 elements [h, w], got 1');
    });

    test('optional options may be absent, undefined or null', () => {
      for (const extra of [{}, { workspaceLimit: undefined, precision: undefined }, { workspaceLimit: null, precision: null }]) {
        const y = conv({ ...geometry, ...extra });
        y.dispose();
      }
    });

    test('the options must be an object', () => {
      expect(() => conv(undefined)).toThrow('conv2d: options must be an object');
      expect(() => conv([1, 1])).toThrow('conv2d: options must be an object');
      expect(() => native.crop2d(x.handle, 0 as never)).toThrow('crop2d: options must be an object');
    });
  });
});
