// Batch inputs and shards. An input is a directory (its image files, recursively, sorted), a glob
// ('photos/**/*.jpg': *, ** and ? only, no braces) or a manifest file (one path or http(s) URL per line; '#'
// starts a comment; relative paths are relative to the manifest). The list is cut into shards of N images in
// order: shard i holds images [i·N, (i+1)·N). A shard is the unit of work, of output (one JSONL file, written
// whole or not at all) and of resume.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The file extensions a directory or glob picks up (sharp's formats and binary PPM/PGM). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.ppm', '.pgm'];
const isImage = (f: string) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase());
const isUrl = (s: string) => /^https?:\/\//i.test(s);

function walk(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && isImage(e.name)) out.push(p);
  }
}

/** A glob pattern as a RegExp over '/'-separated paths: ** any directories, * and ? within one name. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  const firstMagic = parts.findIndex((p) => /[*?]/.test(p));
  const base = parts.slice(0, firstMagic).join('/') || (pattern.startsWith('/') ? '/' : '.');
  if (!fs.existsSync(base)) return [];
  const all: string[] = [];
  const walkAll = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walkAll(p);
      else if (e.isFile()) all.push(p);
    }
  };
  walkAll(base);
  const re = globToRegExp(path.normalize(pattern).split(path.sep).join('/'));
  return all.filter((p) => re.test(path.normalize(p).split(path.sep).join('/')));
}

/** The images of a directory, glob or manifest, in a stable order (directories and globs sorted). */
export function resolveInputs(input: string): string[] {
  if (typeof input !== 'string' || input === '') throw new TypeError('batch: input must be a directory, a glob or a manifest file');
  let list: string[];
  if (/[*?]/.test(input)) {
    list = expandGlob(input).sort();
    if (list.length === 0) throw new Error(`batch: the glob '${input}' matches no file`);
    return list;
  }
  if (!fs.existsSync(input)) throw new Error(`batch: input '${input}' does not exist (a directory, a glob or a manifest file)`);
  if (fs.statSync(input).isDirectory()) {
    list = [];
    walk(input, list);
    list.sort();
    if (list.length === 0) throw new Error(`batch: the directory '${input}' holds no image (${IMAGE_EXTENSIONS.join(' ')})`);
    return list;
  }
  if (isImage(input)) return [input];
  const dir = path.dirname(input);
  list = fs.readFileSync(input, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => (isUrl(l) || path.isAbsolute(l) ? l : path.join(dir, l)));
  if (list.length === 0) throw new Error(`batch: the manifest '${input}' lists no image`);
  const seen = new Set<string>();
  for (const p of list) {
    if (seen.has(p)) throw new Error(`batch: the manifest '${input}' lists '${p}' twice (each image must appear once)`);
    seen.add(p);
  }
  return list;
}

export interface Shard {
  index: number;
  /** e.g. 'shard-00012' (the output file is <id>.jsonl). */
  id: string;
  paths: string[];
}

export const shardId = (i: number) => `shard-${String(i).padStart(5, '0')}`;

export function makeShards(paths: readonly string[], shardSize: number): Shard[] {
  if (!Number.isInteger(shardSize) || shardSize <= 0) throw new RangeError(`batch: shardSize must be a positive integer, got ${String(shardSize)}`);
  const shards: Shard[] = [];
  for (let i = 0; i * shardSize < paths.length; i++) shards.push({ index: i, id: shardId(i), paths: paths.slice(i * shardSize, (i + 1) * shardSize) });
  return shards;
}

/** A fingerprint of the image list and shard size: a resume must cut the same shards. */
export function listDigest(paths: readonly string[], shardSize: number): string {
  const h = crypto.createHash('sha256');
  h.update(`${shardSize}\n`);
  for (const p of paths) h.update(`${p}\n`);
  return h.digest('hex').slice(0, 16);
}

export { isUrl };
