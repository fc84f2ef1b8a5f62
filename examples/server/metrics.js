// Prometheus metrics of the example server (prom-client, its own registry): requests by route and status,
// request latency, batch sizes and batch run times, queue depth and batches in flight, the library's memory
// per device, and prom-client's process metrics (RSS, heap, event-loop lag).
'use strict';

const client = require('prom-client');

/** [[device, {tensors, bytes}]] from convnets.memory(): 'cpu', then 'cuda:N' per GPU. */
function perDevice(convnets) {
  const m = convnets.memory();
  return [['cpu', m.cpu], ...(m.cuda ?? []).map((r, i) => [`cuda:${i}`, r])];
}

function makeMetrics(convnets, engineStats) {
  const register = new client.Registry();
  client.collectDefaultMetrics({ register });
  const requests = new client.Counter({
    name: 'convnets_http_requests_total', help: 'HTTP requests by route and status code', labelNames: ['route', 'status'], registers: [register],
  });
  const latency = new client.Histogram({
    name: 'convnets_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [register],
  });
  const batchSize = new client.Histogram({
    name: 'convnets_batch_size', help: 'Requests per batch run', labelNames: ['device'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [register],
  });
  const batchSeconds = new client.Histogram({
    name: 'convnets_batch_duration_seconds', help: 'Wall time of one batch run', labelNames: ['device'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [register],
  });
  const batchFailures = new client.Counter({
    name: 'convnets_batch_failures_total', help: 'Batches whose run failed', labelNames: ['device'], registers: [register],
  });
  new client.Gauge({
    name: 'convnets_queue_depth', help: 'Requests waiting for a batch', registers: [register],
    collect() { this.set(engineStats().queueDepth); },
  });
  new client.Gauge({
    name: 'convnets_batches_in_flight', help: 'Batches running or queued on a worker', registers: [register],
    collect() { this.set(engineStats().inFlightBatches); },
  });
  new client.Gauge({
    name: 'convnets_memory_bytes', help: 'Bytes held by live tensors, per device', labelNames: ['device'], registers: [register],
    collect() { for (const [device, m] of perDevice(convnets)) this.set({ device }, m.bytes); },
  });
  new client.Gauge({
    name: 'convnets_tensors', help: 'Live tensors, per device', labelNames: ['device'], registers: [register],
    collect() { for (const [device, m] of perDevice(convnets)) this.set({ device }, m.tensors); },
  });
  return {
    register,
    observeRequest(route, status, seconds) {
      requests.inc({ route, status: String(status) });
      latency.observe({ route }, seconds);
    },
    onBatch(info) {
      batchSize.observe({ device: info.device }, info.size);
      batchSeconds.observe({ device: info.device }, info.ms / 1000);
      if (!info.ok) batchFailures.inc({ device: info.device });
    },
  };
}

module.exports = { makeMetrics };
