// Bad calls across the public API, one table: wrong shapes, dtypes, devices, disposed tensors, NaN /
// Infinity / negative / fractional arguments, wrong types. Each must throw (or reject with) an Error whose
// message names the op and the argument — never crash the process, never return garbage.
import { F, Tensor, compile, io, nn, serve, setNumThreads, signal, summary, models, ConvPlan, convAlgorithms } from '../../lib';

const t = (shape: number[], seed = 1) => Tensor.rand(shape, { seed });
const x4 = t([1, 3, 8, 8]);
const w = t([4, 3, 3, 3]);
const vec = t([4]);
const m23 = t([2, 3]);
const gone = t([1, 3, 8, 8]);
gone.dispose();
afterAll(() => [x4, w, vec, m23].forEach((v) => v.dispose()));

type Case = [string, () => unknown, string, string]; // description, call, op, argument named in the message
const bad = <T>(v: unknown) => v as T;

const cases: Case[] = [
  // Tensor constructors and methods
  ['Tensor.from: shape with a fraction', () => Tensor.from([1, 2], [2.5]), 'Tensor.from', 'shape'],
  ['Tensor.from: negative dimension', () => Tensor.from([1], [-1]), 'Tensor.from', 'shape'],
  ['Tensor.from: too few values', () => Tensor.from([1, 2, 3], [2, 2]), 'Tensor.from', 'shape'],
  ['Tensor.from: shape not an array', () => Tensor.from([1], bad(7)), 'Tensor.from', 'shape'],
  ['Tensor.zeros: NaN dimension', () => Tensor.zeros([NaN]), 'Tensor.zeros', 'shape'],
  ['Tensor.zeros: Infinity dimension', () => Tensor.zeros([Infinity]), 'Tensor.zeros', 'shape'],
  ['Tensor.rand: string dimension', () => Tensor.rand(bad(['3'])), 'Tensor.rand', 'shape'],
  ['Tensor.zeros: unknown device', () => Tensor.zeros([2], { device: bad('tpu') }), 'Tensor.zeros', 'device'],
  ['Tensor.zeros: negative cuda index', () => Tensor.zeros([2], { device: bad('cuda:-1') }), 'Tensor.zeros', 'device'],
  ['reshape: two -1', () => m23.reshape([-1, -1]), 'reshape', '-1'],
  ['reshape: wrong element count', () => m23.reshape([4, 2]), 'reshape', 'shape'],
  ['data() of a disposed tensor', () => gone.data(), 'data', 'disposed'],
  ['reshape of a disposed tensor', () => gone.reshape([3, 64]), 'reshape', 'disposed'],
  ['to(): unknown device', () => m23.to(bad('gpu')), 'to', 'device'],
  // conv2d
  ['conv2d: input not a Tensor', () => F.conv2d(bad([1, 2]), w), 'conv2d', 'input'],
  ['conv2d: weight not a Tensor', () => F.conv2d(x4, bad(null)), 'conv2d', 'weight'],
  ['conv2d: disposed input', () => F.conv2d(gone, w), 'conv2d', 'input'],
  ['conv2d: 3-D input', () => F.conv2d(t([3, 8, 8]), w), 'conv2d', 'input'],
  ['conv2d: channel mismatch', () => F.conv2d(t([1, 4, 8, 8]), w), 'conv2d', 'weight'],
  ['conv2d: stride 0', () => F.conv2d(x4, w, null, { stride: 0 }), 'conv2d', 'stride'],
  ['conv2d: fractional stride', () => F.conv2d(x4, w, null, { stride: 1.5 }), 'conv2d', 'stride'],
  ['conv2d: negative padding', () => F.conv2d(x4, w, null, { padding: -1 }), 'conv2d', 'padding'],
  ['conv2d: NaN dilation', () => F.conv2d(x4, w, null, { dilation: NaN }), 'conv2d', 'dilation'],
  ['conv2d: groups not dividing channels', () => F.conv2d(x4, w, null, { groups: 2 }), 'conv2d', 'groups'],
  ['conv2d: bias of the wrong length', () => F.conv2d(x4, w, t([5])), 'conv2d', 'bias'],
  ['conv2d: unknown algorithm', () => F.conv2d(x4, w, null, { algo: bad('fft') }), 'conv2d', 'algo'],
  ['conv2d: unknown activation', () => F.conv2d(x4, w, null, { activation: bad('gelu') }), 'conv2d', 'activation'],
  ['conv2d: kernel larger than the padded input', () => F.conv2d(t([1, 3, 2, 2]), w), 'conv2d', 'input'],
  ['conv2d: options not an object', () => F.conv2d(x4, w, null, bad(3)), 'conv2d', 'options'],
  // linear, matmul
  ['linear: feature mismatch', () => F.linear(m23, t([4, 5])), 'linear', 'weight'],
  ['linear: bias of the wrong length', () => F.linear(m23, t([4, 3]), t([5])), 'linear', 'bias'],
  ['linear: input not a Tensor', () => F.linear(bad(undefined), w), 'linear', 'input'],
  ['matmul: inner dimensions differ', () => F.matmul(m23, m23), 'matmul', 'b'],
  ['matmul: disposed operand', () => F.matmul(gone, m23), 'matmul', 'a'],
  // pooling
  ['maxPool2d: kernelSize 0', () => F.maxPool2d(x4, { kernelSize: 0 }), 'maxPool2d', 'kernelSize'],
  ['maxPool2d: negative stride', () => F.maxPool2d(x4, { kernelSize: 2, stride: -2 }), 'maxPool2d', 'stride'],
  ['maxPool2d: padding over half the kernel', () => F.maxPool2d(x4, { kernelSize: 2, padding: 2 }), 'maxPool2d', 'padding'],
  ['maxPool2d: options missing', () => F.maxPool2d(x4, bad(undefined)), 'maxPool2d', 'options'],
  ['avgPool2d: fractional kernelSize', () => F.avgPool2d(x4, { kernelSize: 2.5 }), 'avgPool2d', 'kernelSize'],
  ['avgPool2d: ceilMode not a boolean', () => F.avgPool2d(x4, { kernelSize: 2, ceilMode: bad('yes') }), 'avgPool2d', 'ceilMode'],
  ['adaptiveAvgPool2d: output size 0', () => F.adaptiveAvgPool2d(x4, 0), 'adaptiveAvgPool2d', 'outputSize'],
  ['adaptiveAvgPool2d: output size Infinity', () => F.adaptiveAvgPool2d(x4, Infinity), 'adaptiveAvgPool2d', 'outputSize'],
  // normalisation, activations, shape ops
  ['batchNorm: statistics of the wrong length', () => F.batchNorm(x4, vec, vec), 'batchNorm', 'runningMean'],
  ['batchNorm: NaN eps', () => F.batchNorm(x4, t([3]), t([3]), null, null, { eps: NaN }), 'batchNorm', 'eps'],
  ['localResponseNorm: size 0', () => F.localResponseNorm(x4, { size: 0 }), 'localResponseNorm', 'size'],
  ['localResponseNorm: NaN alpha', () => F.localResponseNorm(x4, { size: 3, alpha: NaN }), 'localResponseNorm', 'alpha'],
  ['relu: not a Tensor', () => F.relu(bad(3)), 'relu', 'input'],
  ['add: shapes differ', () => F.add(m23, vec), 'add', 'b is [4]'],
  ['dropout: p above 1', () => F.dropout(x4, { p: 1.5, training: true }), 'dropout', 'p'],
  ['dropout: negative p', () => F.dropout(x4, { p: -0.1, training: true }), 'dropout', 'p'],
  ['softmax: dim out of range', () => F.softmax(m23, 2), 'softmax', 'dim'],
  ['softmax: fractional dim', () => F.softmax(m23, 0.5), 'softmax', 'dim'],
  ['logSoftmax: dim not a number', () => F.logSoftmax(m23, bad('1')), 'logSoftmax', 'dim'],
  ['cat: not an array', () => F.cat(bad(m23), 0), 'cat', 'tensors'],
  ['cat: mismatched shapes', () => F.cat([m23, vec], 0), 'cat', 'tensors'],
  ['cat: disposed member', () => F.cat([m23, gone], 0), 'cat', 'tensors[1]'],
  ['flatten: startDim out of range', () => F.flatten(m23, 5), 'flatten', 'startDim'],
  ['flatten: startDim after endDim', () => F.flatten(x4, 2, 1), 'flatten', 'startDim'],
  // modules and models
  ['nn.Conv2d: zero out channels', () => new nn.Conv2d(3, 0, 3), 'Conv2d', 'outChannels'],
  ['nn.Conv2d: fractional kernel', () => new nn.Conv2d(3, 4, 2.5), 'Conv2d', 'kernelSize'],
  ['nn.Linear: negative features', () => new nn.Linear(-1, 4), 'Linear', 'inFeatures'],
  ['Module.loadStateDict: mis-shaped key', () => new nn.Linear(3, 4).loadStateDict(new Map([['weight', t([4, 4])], ['bias', vec]])), 'loadStateDict', 'weight'],
  ['models.resnet18: numClasses 0 (its classifier)', () => models.resnet18({ numClasses: 0 }), 'Linear', 'outFeatures'],
  // conv planning
  ['ConvPlan: weight not a Tensor', () => new ConvPlan(bad('w'), null, [1, 3, 8, 8]), 'ConvPlan', 'weight'],
  ['convAlgorithms: negative input size', () => convAlgorithms({ input: [1, 3, -8, 8], weight: [4, 3, 3, 3] }), 'convAlgorithms', 'input'],
  // compile and serve
  ['compile: inputShape with 0', () => compile(F.relu, { inputShape: [0, 3] }), 'compile', 'inputShape'],
  ['compile: model not callable', () => compile(bad(5), { inputShape: [1] }), 'compile', 'model'],
  ['serve.batcher: maxBatch Infinity', () => serve.batcher(F.relu, { inputShape: [3], maxBatch: Infinity }), 'serve.batcher', 'maxBatch'],
  ['serve.batcher: negative maxDelayMs', () => serve.batcher(F.relu, { inputShape: [3], maxDelayMs: -1 }), 'serve.batcher', 'maxDelayMs'],
  ['serve.batcher: fractional maxQueue', () => serve.batcher(F.relu, { inputShape: [3], maxQueue: 1.5 }), 'serve.batcher', 'maxQueue'],
  ['serve.batcher: unknown device', () => serve.batcher(F.relu, { inputShape: [3], device: bad('tpu') }), 'serve.batcher', 'devices'],
  ['serve.batcher: bf16 on the CPU', () => serve.batcher(F.relu, { inputShape: [3], precision: 'bf16' }), 'compile', "precision 'bf16'"],
  // io, runtime, misc
  ['loadSafetensors: not a file', () => io.loadSafetensors('/nonexistent/x.safetensors'), 'x.safetensors', 'nonexistent'],
  ['loadSafetensors: truncated bytes', () => io.loadSafetensors(new Uint8Array(4)), 'safetensors', 'header'],
  ['decodePnm: not a PNM', () => io.decodePnm(Buffer.from('GIF89a')), 'decodePnm', 'P6'],
  ['imageToTensor: pixels of the wrong size', () => io.imageToTensor({ width: 4, height: 4, channels: 3, pixels: new Uint8Array(5) }), 'imageToTensor', 'values'],
  ['setNumThreads: 0', () => setNumThreads(0), 'setNumThreads', '1 to 1024'],
  ['setNumThreads: fractional', () => setNumThreads(1.5), 'setNumThreads', 'n'],
  ['signal.convolve: unknown mode', () => signal.convolve([1, 2], [1], bad('wide')), 'convolve', 'mode'],
  ['summary: input shape of the wrong rank', () => summary(new nn.Conv2d(3, 4, 3), [3, 8]), 'Conv2d', 'input'],
];

test(`the table has at least 50 bad calls (${cases.length})`, () => {
  expect(cases.length).toBeGreaterThanOrEqual(50);
});

test.each(cases)('%s', async (_what, call, op, arg) => {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeDefined();
  // An Error from any realm (native errors come from the addon's): a name and a message.
  const { name, message } = error as Error;
  expect(typeof name).toBe('string');
  expect(typeof message).toBe('string');
  expect(message).toContain(op);
  expect(message).toContain(arg);
});

test('compiled plans and batchers reject bad runs with the op and argument', async () => {
  const plan = compile(F.relu, { inputShape: [2, 3] });
  await expect(plan.run(x4)).rejects.toThrow(/plan\.run: expected an input of shape \[2, 3\]/);
  await expect(plan.run(bad(null))).rejects.toThrow('plan.run: input must be a Tensor');
  await expect(plan.run(gone)).rejects.toThrow(/plan\.run.*(disposed|expected)/);
  plan.dispose();
  const b = serve.batcher(F.relu, { inputShape: [3] });
  await expect(b.run(m23)).rejects.toThrow('batcher.run: expected an input of shape [3] (or [1, 3]), got [2, 3]');
  await expect(b.run(gone)).rejects.toThrow('batcher.run: input was disposed');
  await expect(b.run(t([3]), bad({ signal: 'stop' }))).rejects.toThrow('batcher.run: signal must be an AbortSignal');
  await b.close();
});
