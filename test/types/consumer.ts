// Type test (tsd-style, compiled by `npm run test:types` with tsc --strict): a CommonJS consumer of the
// package by name. Every public entry point is used as a user would; `@ts-expect-error` lines are
// mistakes the types must reject (tsc fails if one of them compiles).
import * as fs from 'node:fs';
import {
  Tensor, memory, emptyCache, setNumThreads, getNumThreads, cpuInfo, setIsa, cuda, F, nn, models, io, summary, signal,
  convOutputSize, convAlgorithms, findConvAlgorithm, chooseConvAlgorithm, ConvPlan, peakFlops, compile, CompiledPlan, viz,
} from 'convnets';
import type {
  Device, Shape, MemoryReport, Precision, Isa, ModelSummary, LayerSummary, SignalMode, Array2D, Conv2dOptions, ConvGeometry,
  ConvDescription, ConvAlgo, ConvAlgorithmName, ConvQueryOptions, CompileOptions, Forward,
} from 'convnets';

// ---- the README examples, as written there ----------------------------------------------------------------
export async function readmeExample(): Promise<void> {
  const net = models.resnet50().eval();
  net.loadStateDict(io.loadSafetensors('resnet50.safetensors'));
  const x = await io.loadImage('cat.jpg', io.presets.imagenet());
  const probs = F.softmax(net.forward(x), 1);
  console.log(probs.data().indexOf(Math.max(...probs.data())));
  console.log(summary(net, [1, 3, 224, 224]).text);
  const y = F.conv2d(x, Tensor.randn([64, 3, 3, 3], { seed: 1 }), null, { padding: 1, activation: 'relu', algo: 'winograd_4x4_3x3' });
  x.dispose(); y.dispose();
}

export async function classifyExample(): Promise<void> {
  const net = await models.load('resnet50');
  const x = await io.loadImage('photo.jpg', net.weights!.preset);
  const p = F.softmax(net.forward(x), 1).data();
  const top = p.indexOf(Math.max(...p));
  console.log(net.weights!.categories[top], p[top]);
  // the same, top-5 with F.topk
  using logits = net.forward(x);
  const { indices } = F.topk(logits, 5, { dim: 1 });
  console.log(Array.from(indices.data(), (i) => net.weights!.categories[i]));
}

// ---- images, weights, viz (the sharp / hub entry points) ------------------------------------------------------
export async function imagesAndWeights(): Promise<number> {
  const img: io.DecodedImage = await io.decodeImage(fs.readFileSync('a.png'));
  const raw: Tensor = io.pixelsToTensor(img, { rgb: true });
  const batch: Tensor = await io.loadImages(['a.png', 'b.jpg'], io.presets.imagenet());
  await io.saveImage(raw, 'out.png');
  const norm: Tensor = io.normalize(raw, io.IMAGENET_MEAN, io.IMAGENET_STD);
  const [h, w] = io.resizedSize(480, 640, 256);
  const [top, left] = io.centerCropOffsets(h, w, 224, 224);
  const up: Tensor = F.interpolate(batch, { size: [256, 256], mode: 'bilinear', antialias: true });
  const sd = io.loadPth('resnet18.pth');
  const names: readonly string[] = models.modelNames;
  const cats: readonly string[] = models.imagenetCategories();
  const info: models.WeightsInfo = models.weightsInfo('resnet18');
  const listed = models.listWeights('resnet18').filter((l) => l.cached);
  const file: string = await models.fetchWeights('resnet18');
  const dir: string = models.cacheDir();
  const conv = viz.firstConv(models.resnet18());
  const size = await viz.filters(conv, 'filters.png');
  await viz.featureMaps(up, 'maps.png', { maxMaps: 8 });
  return norm.numel + top + left + names.length + cats.length + listed.length + file.length + dir.length + size.width +
    Object.keys(info).length + (sd ? 1 : 0);
}

// ---- `using`: Tensor, ConvPlan, CompiledPlan and every Module are Disposable ---------------------------
export async function usingDisposes(): Promise<number> {
  using t = Tensor.randn([1, 3, 32, 32], { seed: 1 });
  using w = Tensor.rand([8, 3, 3, 3], { seed: 2, low: -1, high: 1 });
  using plan = new ConvPlan(w, null, t.shape, { padding: 1, algo: 'auto' });
  using y = plan.run(t);
  using net = models.resnet18({ numClasses: 10 });
  using compiled = await compile(net, { inputShape: [1, 3, 32, 32], warmup: true }).warmup(2);
  using out = await compiled.run(t);
  using conv = new nn.Conv2d(3, 4, 3, { padding: 'same', bias: false });
  const disposables: Disposable[] = [t, plan, compiled, net, conv];
  return y.numel + out.numel + disposables.length;
}

// ---- Tensor and runtime ---------------------------------------------------------------------------------
export function tensors(): number {
  const dev: Device = cuda.isAvailable() ? 'cuda:0' : 'cpu';
  const a = Tensor.from([1, 2, 3, 4], [2, 2], { device: dev });
  const shape: Shape = a.shape;
  const z = Tensor.zeros(shape).reshape([-1]).to('cpu');
  const m: MemoryReport = memory();
  emptyCache();
  setNumThreads(getNumThreads());
  const isa: Isa = cpuInfo().active;
  setIsa(isa);
  const reason: string = cuda.unavailableReason();
  const count: number = cuda.deviceCount() + (cuda.compiled() ? 1 : 0);
  const score: number = F.argmax(z).item();
  // @ts-expect-error: devices are 'cpu', 'cuda' or 'cuda:N'
  Tensor.zeros([1], { device: 'gpu' });
  // @ts-expect-error: shapes are arrays, not numbers
  Tensor.zeros(3);
  return m.cpu.bytes + reason.length + count + score + a.numel + (a.disposed ? 1 : 0) + a.toString().length;
}

// ---- F: every op, one naming for fused activations ------------------------------------------------------
export function functional(x: Tensor, w: Tensor, b: Tensor): Tensor[] {
  const opts: Conv2dOptions = {
    stride: [1, 1], padding: 'same', dilation: 1, groups: 1, activation: 'relu', algo: 'find', workspaceLimit: 1 << 20, precision: 'tf32',
  };
  const top: F.TopkResult = F.topk(x, 3, { dim: 1, largest: true, sorted: true });
  const outs = [
    F.conv2d(x, w, b, opts), F.conv2d(x, w), F.linear(x, w, b, { activation: 'relu', precision: 'bf16' }), F.matmul(x, w, { precision: 'fp16' }),
    F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, dilation: 1, ceilMode: true }),
    F.avgPool2d(x, { kernelSize: [2, 2], countIncludePad: false }), F.adaptiveAvgPool2d(x, [7, 7]),
    F.localResponseNorm(x, { size: 5, alpha: 1e-4, beta: 0.75, k: 2 }),
    F.batchNorm(x, b, b, b, b, { eps: 1e-5, activation: 'relu' }), F.batchNorm(x, b, b, null, undefined),
    F.relu(x), F.add(x, x, { activation: 'relu' }), F.dropout(x, { p: 0.1, training: true, seed: 3 }), F.softmax(x, 1),
    F.logSoftmax(x, -1), F.cat([x, x], 1), F.flatten(x, 1, -1), F.argmax(x, 1, { keepdim: true }), top.values, top.indices,
  ];
  // @ts-expect-error: algorithm names are a closed union (a typo is a compile error)
  F.conv2d(x, w, b, { algo: 'winograd' });
  // @ts-expect-error: the only fused activation is 'relu'
  F.linear(x, w, b, { activation: 'gelu' });
  // @ts-expect-error: conv2d's activation is spelled `activation`, never `relu`
  F.conv2d(x, w, b, { relu: true });
  return outs;
}

// ---- convolution algorithms -------------------------------------------------------------------------------
export function algorithms(): string[] {
  const geometry: ConvGeometry = { stride: 2, padding: [1, 1] };
  const desc: ConvDescription = { input: [1, 3, 32, 32], weight: [8, 3, 3, 3], ...geometry };
  const q: ConvQueryOptions = { device: 'cpu', workspaceLimit: 0 };
  const names: ConvAlgorithmName[] = convAlgorithms(desc, q).filter((a) => a.supported).map((a) => a.name);
  const fastest: ConvAlgorithmName = findConvAlgorithm(desc, 'cpu')[0].algo;
  const chosen: ConvAlgorithmName = chooseConvAlgorithm(desc, 'auto');
  const asked: ConvAlgo = 'find';
  const plan = new ConvPlan(Tensor.rand([8, 3, 3, 3]), undefined, desc.input, { algo: asked });
  const planAlgo: ConvAlgorithmName = plan.algo;
  plan.dispose();
  // @ts-expect-error: chooseConvAlgorithm takes algorithm names only
  chooseConvAlgorithm(desc, 'fastest');
  return [...names, fastest, chosen, planAlgo, String(peakFlops(1) + plan.preparedBytes)];
}

// ---- nn, models, summary, compile -------------------------------------------------------------------------
export async function modules(): Promise<number> {
  nn.init.manualSeed(1);
  const layerOpts: nn.Conv2dLayerOptions = { stride: 1, padding: 1, bias: true, groups: 1, dilation: 1 };
  const seq = new nn.Sequential(
    new nn.Conv2d(3, 8, 3, layerOpts), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2, { ceilMode: true }),
    new nn.AvgPool2d(1), new nn.LocalResponseNorm(3), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Dropout(0.5),
    new nn.Linear(8, 4),
  ).eval();
  seq.setConvAlgorithm('im2col');
  // @ts-expect-error: setConvAlgorithm takes algorithm names only
  seq.setConvAlgorithm('fft');
  const dict = seq.stateDict();
  const loaded: nn.LoadResult = seq.loadStateDict(dict, { strict: false });
  const s: ModelSummary = summary(seq, [1, 3, 16, 16]);
  const first: LayerSummary = s.layers[0];
  const nets: nn.Module[] = [
    models.alexnet(), models.alexnetOriginal(), models.vgg11(), models.vgg11_bn(), models.vgg13(), models.vgg13_bn(),
    models.vgg16(), models.vgg16_bn(), models.vgg19(), models.vgg19_bn(), models.googlenet({ transformInput: true, auxLogits: false }),
    models.resnet18(), models.resnet34(), models.resnet50(), models.resnet101(), models.resnet152(),
    models.densenet121(), models.densenet161(), models.densenet169({ numClasses: 10 }), models.densenet201(),
  ];
  const precision: Precision = 'fp32';
  const copts: CompileOptions = {
    inputShape: [1, 3, 16, 16], device: 'cpu', foldBatchNorm: true, fuseRelu: true, fuseConcat: true, poolFirst: true, warmup: 1,
    precision, cudaGraph: false,
  };
  const fwd: Forward = (x: Tensor) => seq.forward(x);
  const plan: CompiledPlan = compile(fwd, copts);
  await plan.warmup();
  const y = await plan.run(Tensor.zeros(plan.inputShape));
  const profile: { op: string; ms: number }[] = plan.profile(Tensor.zeros([1, 3, 16, 16]), 3);
  plan.runSync(Tensor.zeros([1, 3, 16, 16])).dispose();
  const total = nets.reduce((a, n) => a + n.parameters().length, 0) + loaded.missingKeys.length + first.params + profile.length +
    plan.steps + plan.ops().length + y.numel + plan.outputShape.length;
  const graphState: string = plan.cudaGraph;
  plan.dispose();
  seq.dispose();
  // @ts-expect-error: precisions are fp32, tf32, bf16 and fp16
  compile(fwd, { inputShape: [1, 3, 16, 16], precision: 'fp8' });
  return total + graphState.length;
}

// ---- io and signal ----------------------------------------------------------------------------------------
export function files(): number {
  const dict = io.loadSafetensors(fs.readFileSync('weights.safetensors'));
  io.saveSafetensors('out.safetensors', dict, { note: 'typed' });
  const header = io.readHeader(new Uint8Array(16));
  const img: io.DecodedImage = io.decodePnm(fs.readFileSync('x.ppm'));
  const t = io.imageToTensor(img, { normalize: true, mean: io.IMAGENET_MEAN, std: io.IMAGENET_STD });
  const mode: SignalMode = 'same';
  const a: number[] = signal.convolve([1, 2, 3], [0, 1], mode);
  const c: Float64Array = signal.correlate(new Float64Array([1, 2]), [1]);
  const m: Array2D = signal.convolve2d({ data: new Float64Array(4), shape: [2, 2] }, [[1]]);
  const d: number[][] = signal.correlate2d([[1, 2], [3, 4]], [[1]], 'valid');
  return a.length + c.length + m.shape[0] + d.length + t.numel + Object.keys(header).length + io.MAX_HEADER_BYTES + convOutputSize(32, 3, 1, 1);
}
