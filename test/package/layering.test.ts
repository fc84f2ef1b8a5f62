// The native layering (native/README.md): core ← cpu, cuda ← dispatch ← graph ← napi. The check runs over
// every #include "…" line of the tree, and is itself checked on the includes the old tree had (core/ops.cc
// including cpu/, napi/conv.cc reaching into cpu/ for test hooks), which it must refuse.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkIncludes, nativeFiles, ALLOWED } = require(path.join(root, 'scripts', 'check-includes.js'));

const file = (name: string, ...includes: string[]) => ({ file: name, text: includes.map((i) => `#include "${i}"\n`).join('') });

describe('native layering', () => {
  test('no include in native/ runs up the layers or across siblings', () => {
    const files = nativeFiles(root);
    expect(files.length).toBeGreaterThan(100);
    expect(checkIncludes(files)).toEqual([]);
  });

  test('every native folder is a layer and opens with a README', () => {
    const dirs = fs.readdirSync(path.join(root, 'native'), { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(dirs.map((d) => d.name).sort()).toEqual(Object.keys(ALLOWED).sort());
    for (const d of dirs) expect(fs.existsSync(path.join(root, 'native', d.name, 'README.md'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'native', 'README.md'))).toBe(true);
  });

  test("the old tree's includes are refused, each with its place and the rule", () => {
    const problems: string[] = checkIncludes([
      file('native/core/ops.cc', 'core/ops.h', 'cpu/pool.h'),
      file('native/core/algo.cc', 'cpu/conv_algos.h', 'core/cuda_ops.h'),
      file('native/napi/conv.cc', 'napi/common.h', 'cpu/conv_winograd.h'),
    ]);
    expect(problems).toEqual([
      'native/core/ops.cc:2 includes "cpu/pool.h": native/core may include core only',
      'native/core/algo.cc:1 includes "cpu/conv_algos.h": native/core may include core only',
      'native/napi/conv.cc:2 includes "cpu/conv_winograd.h": native/napi may include core, dispatch, graph, napi only',
    ]);
  });

  test('siblings and upward includes are refused; downward ones pass', () => {
    expect(checkIncludes([file('native/cpu/gemm.cc', 'cuda/check.h')])).toHaveLength(1);
    expect(checkIncludes([file('native/cuda/sgemm.cu', 'cpu/gemm.h')])).toHaveLength(1);
    expect(checkIncludes([file('native/dispatch/ops.cc', 'graph/plan.h')])).toHaveLength(1);
    expect(checkIncludes([file('native/graph/plan.cc', 'cpu/gemm.h')])).toHaveLength(1);
    expect(checkIncludes([file('native/graph/plan.cc', 'napi/common.h')])).toHaveLength(1);
    expect(checkIncludes([file('native/extra/x.cc', 'core/error.h')])).toHaveLength(1);
    expect(
      checkIncludes([
        file('native/dispatch/cuda_bridge/conv_bridge.cc', 'cuda/check.h', 'dispatch/cuda_ops.h', 'core/error.h'),
        file('native/napi/conv.cc', 'graph/plan.h', 'dispatch/ops.h', 'core/tensor.h'),
        file('native/cpu/gemm.cc', 'core/threadpool.h', 'cpu/gemm.h'),
      ]),
    ).toEqual([]);
  });
});
