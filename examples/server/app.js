// The fastify app of the example server: POST /v1/classify (raw body → decode → batcher → top-5 JSON),
// GET /healthz, GET /metrics. Built separately from index.js (which listens and handles signals).
'use strict';

const fastify = require('fastify');
const { makeDecoders, HttpError } = require('./decode');

// Library error codes → HTTP status (Retry-After on 503: the client may try again shortly).
const STATUS = { QUEUE_FULL: 503, CLOSED: 503, BAD_INPUT: 400, ABORT_ERR: 504 };

function buildApp(convnets, cfg, engine, metrics) {
  const app = fastify({
    logger: cfg.log,
    bodyLimit: cfg.bodyLimit,
    // An upload that has not arrived within the request timeout (slow client) is cut off by Node's server.
    requestTimeout: cfg.timeoutMs + 1000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const decoders = makeDecoders(convnets);
  app.addContentTypeParser(Object.keys(decoders), { parseAs: 'buffer' }, (req, body, done) => done(null, body));
  let draining = false;

  // While draining, every response closes its connection: a keep-alive socket that turns idle after close()
  // began would otherwise hold the server open until its keep-alive timeout (72 s in fastify).
  app.addHook('onSend', (req, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observeRequest(req.routeOptions?.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.post('/v1/classify', async (req, reply) => {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const decode = decoders[type];
    if (!decode) {
      return reply.code(415).send({ error: `unsupported content type '${type}'; send one of ${Object.keys(decoders).join(', ')}` });
    }
    const started = performance.now();
    // The request's deadline, and its client going away, both drop it from the queue.
    const gone = new AbortController();
    // (the request's own 'close' fires once its body is read; the response's fires when the client leaves)
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone.abort(); });
    const signal = AbortSignal.any([AbortSignal.timeout(cfg.timeoutMs), gone.signal]);
    let x;
    try {
      x = await decode(req.body, cfg.size);
      const probs = await engine.infer(x, signal);
      return { top5: engine.topK(probs, 5), ms: +(performance.now() - started).toFixed(2) };
    } catch (e) {
      if (e instanceof HttpError) return reply.code(e.status).send({ error: e.message });
      const status = STATUS[e.code] ?? 500;
      if (status === 503) reply.header('retry-after', '1');
      const message = e.code === 'ABORT_ERR' ? `no result within ${cfg.timeoutMs} ms` : e.message;
      if (status === 500) req.log.error(e);
      return reply.code(status).send({ error: message, code: e.code });
    } finally {
      x?.dispose();
    }
  });

  app.get('/healthz', async (req, reply) => {
    if (draining) return reply.code(503).send({ status: 'draining' });
    const s = engine.stats();
    return { status: 'ok', queueDepth: s.queueDepth, batches: s.batches, randomWeights: engine.randomWeights };
  });

  app.get('/metrics', async (req, reply) => {
    reply.header('content-type', metrics.register.contentType);
    return metrics.register.metrics();
  });

  /** Graceful stop: /healthz turns 503, no new connections, in-flight requests finish, then the engine drains. */
  app.decorate('drain', async () => {
    draining = true;
    await app.close();
    await engine.close();
  });
  return app;
}

module.exports = { buildApp };
