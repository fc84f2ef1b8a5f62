// Small generated images for the batch tests, a redis-server on a free loopback port, and the CLI in a child.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import sharp from 'sharp';

export const ROOT = path.join(__dirname, '..', '..');

/** `n` PNGs (img-0000.png …) of 40×32 pixels, each a different colour gradient; `corrupt` indices hold garbage. */
export async function makeImages(dir: string, n: number, corrupt: number[] = []): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const w = 40;
  const h = 32;
  for (let i = 0; i < n; i++) {
    const f = path.join(dir, `img-${String(i).padStart(4, '0')}.png`);
    if (corrupt.includes(i)) {
      // a PNG signature followed by junk: sharp fails to decode it
      fs.writeFileSync(f, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]));
    } else {
      const px = Buffer.alloc(w * h * 3);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        px[o] = (i * 37 + x * 5) & 255;
        px[o + 1] = (i * 11 + y * 7) & 255;
        px[o + 2] = (i * 101) & 255;
      }
      await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(f);
    }
    files.push(f);
  }
  return files;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/** redis-server on 127.0.0.1 at a free port, no persistence; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const spawnError = new Promise<never>((_, reject) => proc.once('error', (e) => reject(new Error(`redis-server could not start (.ci/run installs it: apt-get install -y redis-server): ${e.message}`))));
  const deadline = Date.now() + 20000;
  for (;;) {
    const ok = await Promise.race([spawnError, new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.once('error', () => resolve(false));
    })]);
    if (ok) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not come up on 127.0.0.1:${port}: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    }),
  };
}

export interface Child {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/**
 * The CLI (lib/cli.ts) in a child process; `onLine` sees each stdout line. Node itself with tsx's loader
 * (not the tsx launcher, which runs node as a grandchild), so a signal reaches the worker itself.
 */
export function cli(args: string[], onLine?: (line: string, c: Child) => void, env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'lib/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, CONVNETS_NUM_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let partial = '';
  const child: Child = { proc, out: () => text, exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) };
  const take = (d: Buffer) => {
    text += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) onLine?.(l, child);
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', (d) => (text += d));
  return child;
}
