// Runs a few kernels and prints their results as JSON. scripts/test-old-cpu.sh runs this once natively
// with CONVNETS_ISA=generic and once under qemu as a CPU without AVX: the outputs must match exactly,
// proving no AVX instruction leaks into the generic path: an inline function or template compiled inside an ISA file can be the copy the linker keeps for everyone.
const { Tensor, F, cpuInfo } = require('..');

const out = { isa: cpuInfo().active, results: {} };
const x = Tensor.rand([2, 5, 17, 19], { seed: 1, low: -1, high: 1 });
const w = Tensor.rand([7, 5, 3, 3], { seed: 2, low: -1, high: 1 });
const b = Tensor.rand([7], { seed: 5 });
const sum = (t) => Array.from(t.data()).reduce((a, v, i) => a + v * ((i % 7) + 1), 0);
for (const algo of ['direct', 'im2col', 'winograd_2x2_3x3', 'winograd_4x4_3x3']) {
  out.results[algo] = sum(F.conv2d(x, w, b, { padding: 1, algo, activation: 'relu' }));
}
out.results.gemm_1x1 = sum(F.conv2d(x, Tensor.rand([9, 5, 1, 1], { seed: 6 }), null, { algo: 'gemm_1x1' }));
out.results.matmul = sum(F.matmul(Tensor.rand([33, 65], { seed: 3 }), Tensor.rand([65, 17], { seed: 4 })));
out.results.maxPool = sum(F.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true }));
out.results.lrn = sum(F.localResponseNorm(x, { size: 5, k: 2 }));
out.results.softmax = sum(F.softmax(x, 1));
out.results.logSoftmax = sum(F.logSoftmax(x, -1));
out.results.avgPool = sum(F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }));
out.results.adaptiveAvgPool = sum(F.adaptiveAvgPool2d(x, [5, 7]));
out.results.batchNorm = sum(F.batchNorm(x, Tensor.rand([5], { seed: 7 }), Tensor.rand([5], { seed: 8, low: 0.5, high: 1 }), null, null, { relu: true }));
out.results.dropout = sum(F.dropout(x, { p: 0.3, training: true, seed: 9 }));
out.results.cat = sum(F.cat([x, x], 1));
out.results.convolve2d = require('..').signal.convolve2d([[1, 2, 3], [4, 5, 6]], [[0.5, -1], [2, 0.25]]).flat();
console.log(JSON.stringify(out));
