// Settings of the example server: command-line flags, each with an environment fallback and a default.
//   node examples/server [--port 8080] [--host 127.0.0.1] [--model resnet18] [--weights file.safetensors]
//     [--labels file.txt] [--device cpu|cuda:0] [--devices cuda:0,cuda:1] [--size 224] [--no-batching]
//     [--max-batch 32] [--max-delay-ms 2] [--max-queue 1024] [--body-limit 8388608] [--timeout-ms 10000]
//     [--threads N] [--precision fp32|tf32|bf16|fp16] [--log]
'use strict';

const DEFAULTS = {
  port: 8080, host: '127.0.0.1', model: 'resnet18', weights: '', labels: '', device: 'cpu', devices: '',
  size: 224, batching: true, maxBatch: 32, maxDelayMs: 2, maxQueue: 1024, bodyLimit: 8 * 1024 * 1024,
  timeoutMs: 10000, threads: 0, log: false, precision: 'fp32',
};

const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (k) => `CONVNETS_SERVER_${kebab(k).replace(/-/g, '_').toUpperCase()}`;

/** Parses argv (without node and the script) into a config object; throws on an unknown flag or a bad number. */
function parseConfig(argv, env = process.env) {
  const cfg = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS)) if (env[envName(k)] !== undefined) cfg[k] = env[envName(k)];
  if (env.PORT !== undefined && env[envName('port')] === undefined) cfg.port = env.PORT;
  const args = argv.slice();
  while (args.length) {
    const a = args.shift();
    if (a === '--no-batching') { cfg.batching = false; continue; }
    if (a === '--log') { cfg.log = true; continue; }
    const key = Object.keys(DEFAULTS).find((k) => `--${kebab(k)}` === a);
    if (!key || typeof DEFAULTS[key] === 'boolean') throw new Error(`unknown option ${a}`);
    if (!args.length) throw new Error(`option ${a} needs a value`);
    cfg[key] = args.shift();
  }
  for (const k of Object.keys(DEFAULTS)) {
    if (typeof DEFAULTS[k] === 'number') {
      const v = Number(cfg[k]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`--${kebab(k)} must be a non-negative number, got ${cfg[k]}`);
      cfg[k] = v;
    } else if (typeof DEFAULTS[k] === 'boolean') {
      cfg[k] = cfg[k] === true || cfg[k] === 'true' || cfg[k] === '1';
    }
  }
  cfg.devices = cfg.devices ? String(cfg.devices).split(',') : [cfg.device];
  return cfg;
}

module.exports = { parseConfig, DEFAULTS };
