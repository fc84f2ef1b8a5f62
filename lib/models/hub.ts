// Checkpoint files by URL, cached like torch.hub: `$CONVNETS_HOME/checkpoints/<file>` (default
// ~/.cache/convnets). A download streams to a temporary file in the same folder while hashing it, checks
// the length the server announced and the sha256 prefix in the file name (torch.hub's check_hash), then
// renames it into place — so the cache only ever holds complete, verified files. Concurrent requests for
// one file share one download. CONVNETS_WEIGHTS_MIRROR replaces the base URL; CONVNETS_OFFLINE=1 never
// touches the network and says where to put the file instead.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface DownloadOptions {
  /** Bytes so far and the total (0 when the server did not say). */
  onProgress?: (received: number, total: number) => void;
  /** Abort when no byte arrives for this long (ms, default 30000). */
  timeoutMs?: number;
  /** Further tries after a network error, a truncated body or a 5xx answer (default 2). */
  retries?: number;
}

export interface CheckpointSpec {
  /** torchvision's URL (its last part is the file name). */
  url: string;
  file: string;
  /** Hex prefix of the file's sha256, or null to skip the check. */
  sha256Prefix: string | null;
}

/** The cache folder: $CONVNETS_HOME, else ~/.cache/convnets. */
export function cacheDir(): string {
  return process.env.CONVNETS_HOME || path.join(os.homedir(), '.cache', 'convnets');
}

/** Where a checkpoint file lives in the cache. */
export function checkpointPath(file: string): string {
  if (file !== path.basename(file) || file.startsWith('.')) throw new Error(`checkpoint file name '${file}' is not a plain file name`);
  return path.join(cacheDir(), 'checkpoints', file);
}

/** The URL a checkpoint is fetched from: CONVNETS_WEIGHTS_MIRROR/<file> when set, else the spec's own. */
export function checkpointUrl(spec: CheckpointSpec): string {
  const mirror = process.env.CONVNETS_WEIGHTS_MIRROR;
  return mirror ? `${mirror.replace(/\/+$/, '')}/${spec.file}` : spec.url;
}

const offline = () => process.env.CONVNETS_OFFLINE === '1' || process.env.CONVNETS_OFFLINE === 'true';

class Permanent extends Error {}

async function downloadOnce(url: string, dest: string, spec: CheckpointSpec, opts: DownloadOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30000;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new Error(`no data for ${timeoutMs} ms`)), timeoutMs);
  };
  const tmp = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  let handle: fs.promises.FileHandle | undefined;
  try {
    arm();
    const res = await fetch(url, { signal: abort.signal, redirect: 'follow' });
    if (!res.ok || !res.body) {
      const e = `HTTP ${res.status} ${res.statusText}`.trim();
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 500) throw new Error(e);
      throw new Permanent(e);
    }
    const total = Number(res.headers.get('content-length') ?? 0) || 0;
    handle = await fs.promises.open(tmp, 'w');
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      arm();
      hash.update(chunk);
      received += chunk.length;
      await handle.write(chunk);
      opts.onProgress?.(received, total);
    }
    await handle.close();
    handle = undefined;
    if (total && received !== total) throw new Error(`truncated body: ${received} of ${total} bytes`);
    const digest = hash.digest('hex');
    if (spec.sha256Prefix && !digest.startsWith(spec.sha256Prefix)) {
      throw new Permanent(`sha256 ${digest.slice(0, 16)}… does not start with ${spec.sha256Prefix} (the prefix in the file name)`);
    }
    await fs.promises.rename(tmp, dest);
  } catch (e) {
    const err = e as Error;
    const reason = err.name === 'AbortError' || abort.signal.aborted ? `timed out (${(abort.signal.reason as Error)?.message ?? err.message})` : err.message;
    throw err instanceof Permanent ? new Permanent(reason) : new Error(reason);
  } finally {
    clearTimeout(timer);
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
  }
}

const inFlight = new Map<string, Promise<string>>();

/**
 * The local path of a checkpoint, downloading it first when it is not cached. Errors name the URL and
 * leave nothing in the cache.
 */
export function fetchCheckpoint(spec: CheckpointSpec, opts: DownloadOptions = {}): Promise<string> {
  const dest = checkpointPath(spec.file);
  if (fs.existsSync(dest)) return Promise.resolve(dest);
  const url = checkpointUrl(spec);
  if (offline()) {
    return Promise.reject(new Error(`${spec.file} is not cached and CONVNETS_OFFLINE=1 forbids downloading it: fetch ${url} and place it at ${dest}`));
  }
  const running = inFlight.get(dest);
  if (running) return running;
  const job = (async () => {
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    const retries = opts.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        await downloadOnce(url, dest, spec, opts);
        return dest;
      } catch (e) {
        if (e instanceof Permanent || attempt >= retries) {
          throw new Error(`download of ${url} failed: ${(e as Error).message}${attempt ? ` (after ${attempt + 1} tries)` : ''}`);
        }
      }
    }
  })().finally(() => inFlight.delete(dest));
  inFlight.set(dest, job);
  return job;
}
