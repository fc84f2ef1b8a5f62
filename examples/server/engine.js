// The inference side of the example server: a torchvision network (random weights unless --weights), its
// softmax, and either the library's dynamic batcher (default) or one compiled batch-1 plan per request
// (--no-batching: what a first server would do; the load test's baseline).
'use strict';

const fs = require('node:fs');

class Engine {
  /**
   * @param convnets the library (require('convnets'))
   * @param cfg      parsed config (config.js)
   * @param hooks    { onBatch(info) } for metrics
   * @param forward  optional (x) => Tensor instead of cfg.model (tests)
   */
  constructor(convnets, cfg, hooks = {}, forward = undefined) {
    const { F, models, io, serve, compile, setNumThreads } = convnets;
    if (cfg.threads) setNumThreads(cfg.threads);
    this.convnets = convnets;
    this.size = cfg.size;
    if (!forward) {
      const factory = models[cfg.model];
      if (typeof factory !== 'function') throw new Error(`unknown model '${cfg.model}'`);
      const onDevice = (device) => {
        const net = factory().eval();
        if (cfg.weights) net.loadStateDict(io.loadSafetensors(cfg.weights));
        if (device !== 'cpu') net.to?.(device);
        return (x) => F.softmax(net.forward(x), 1);
      };
      this.modelFor = onDevice;
      this.randomWeights = !cfg.weights;
    } else {
      this.modelFor = () => forward;
      this.randomWeights = false;
    }
    this.labels = cfg.labels ? fs.readFileSync(cfg.labels, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean) : null;
    const inputShape = [3, cfg.size, cfg.size];
    this.maxQueue = cfg.maxQueue;
    if (cfg.batching) {
      const models = new Map(); // one copy of the weights per device
      this.batcher = serve.batcher(null, {
        inputShape, devices: cfg.devices, precision: cfg.precision, maxBatch: cfg.maxBatch, maxDelayMs: cfg.maxDelayMs, maxQueue: cfg.maxQueue,
        modelForDevice: (d) => { if (!models.has(d)) models.set(d, this.modelFor(d)); return models.get(d); },
        onBatch: hooks.onBatch,
      });
    } else {
      this.plan = compile(this.modelFor(cfg.devices[0]), { inputShape: [1, ...inputShape], device: cfg.devices[0], precision: cfg.precision });
      this.inFlight = 0;
      this.served = 0;
    }
  }

  /** Probabilities for one input ([3, S, S] or [1, 3, S, S]); rejects with the batcher's coded errors. */
  async infer(x, signal) {
    const { serve } = this.convnets;
    if (this.batcher) {
      const y = await this.batcher.run(x, { signal });
      try { return Float32Array.from(y.data()); } finally { y.dispose(); }
    }
    if (this.closed) throw new serve.ServeError('the server is shutting down', 'CLOSED');
    if (this.inFlight >= this.maxQueue) throw new serve.ServeError(`the queue is full (${this.maxQueue} requests in flight)`, 'QUEUE_FULL');
    const x4 = x.shape.length === 3 ? x.reshape([1, ...x.shape]) : x;
    this.inFlight++;
    try {
      if (signal?.aborted) throw new serve.ServeError('the request was aborted', 'ABORT_ERR');
      const y = await this.plan.run(x4);
      try { return Float32Array.from(y.data()); } finally { y.dispose(); }
    } finally {
      this.inFlight--;
      this.served++;
      if (x4 !== x) x4.dispose();
      if (this.closed && this.inFlight === 0) this.drained?.();
    }
  }

  /** The k most probable classes: [{index, label, probability}]. */
  topK(probs, k = 5) {
    const best = [];
    for (let i = 0; i < probs.length; i++) {
      if (best.length < k || probs[i] > best[best.length - 1].probability) {
        best.push({ index: i, probability: probs[i] });
        best.sort((a, b) => b.probability - a.probability);
        if (best.length > k) best.pop();
      }
    }
    return best.map((b) => ({ index: b.index, label: this.labels?.[b.index] ?? `class ${b.index}`, probability: b.probability }));
  }

  stats() {
    if (this.batcher) return this.batcher.stats();
    return { queueDepth: 0, inFlightBatches: this.inFlight, batches: this.served, meanBatchSize: 1 };
  }

  /** Lets work in flight finish, refuses the rest, frees the plans. */
  async close() {
    if (this.batcher) return this.batcher.close();
    this.closed = true;
    if (this.inFlight > 0) await new Promise((r) => { this.drained = r; });
    this.plan.dispose();
  }
}

module.exports = { Engine };
