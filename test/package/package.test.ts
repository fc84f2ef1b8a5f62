// The package as a consumer sees it: the exports map (CommonJS and ESM entries by the package name, with the
// same names), the install script's answers, the load-failure message, and the release-binary checker.
// Needs dist/ (npm test builds it in test:types first).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cuda } from '../../lib';
import { loadErrorMessage } from '../../lib/load_error';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const checker = require(path.join(root, 'scripts', 'check-prebuild.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addonPath: string = require('node-gyp-build').path(root);

function node(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, args, { cwd: opts.cwd ?? root, env: opts.env ?? process.env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('exports map', () => {
  test('types, require and import entries exist in dist/', () => {
    const dot = pkg.exports['.'];
    expect(dot.require).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(dot.import).toEqual({ types: './dist/index.d.mts', default: './dist/index.mjs' });
    for (const f of [dot.require.types, dot.require.default, dot.import.types, dot.import.default]) {
      expect(fs.existsSync(path.join(root, f))).toBe(true);
    }
  });

  test("inside the repository, require('convnets') and import 'convnets' give the same names", () => {
    const cjs = node(['-e', "console.log(JSON.stringify(Object.keys(require('convnets')).sort()))"]);
    const esm = node(['--input-type=module', '-e', "import * as c from 'convnets'; console.log(JSON.stringify(Object.keys(c).sort()))"]);
    expect(cjs.stderr).toBe('');
    expect(esm.stderr).toBe('');
    const names = JSON.parse(cjs.stdout) as string[];
    expect(names).toEqual(expect.arrayContaining(['Tensor', 'F', 'nn', 'models', 'io', 'compile', 'CompiledPlan', 'ConvPlan', 'summary', 'cuda']));
    // (the ESM namespace also carries tsc's __esModule marker, read from the CommonJS build)
    expect((JSON.parse(esm.stdout) as string[]).filter((n) => n !== '__esModule')).toEqual(names);
    const run = node(['--input-type=module', '-e', "import { Tensor, F } from 'convnets'; console.log(F.argmax(Tensor.from([1, 3, 2], [3])).item())"]);
    expect(run.stdout.trim()).toBe('1');
  });
});

describe('install script (scripts/install.js)', () => {
  let dir: string;
  let nocc: string;
  beforeAll(() => {
    // A copy of the package's install script beside the package's own dependencies, with no prebuild and no build/.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-install-'));
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync(path.join(root, 'scripts', 'install.js'), path.join(dir, 'scripts', 'install.js'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'convnets', version: pkg.version }));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    nocc = path.join(dir, 'bin');  // PATH with node only: no cmake, compiler or make
    fs.mkdirSync(nocc);
    fs.symlinkSync(process.execPath, path.join(nocc, 'node'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ PATH: nocc, HOME: os.tmpdir(), ...extra });

  test('no prebuild and no toolchain: one actionable line, exit 1, no stack trace', () => {
    const r = node([path.join(dir, 'scripts', 'install.js')], { cwd: dir, env: env() });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^convnets: no prebuilt binary for linux-x64 \(Node [\d.]+\), and building one needs cmake \(>= 3\.18\), a C\+\+17 compiler \(g\+\+ or clang\+\+\), make: install them \(Debian\/Ubuntu: apt-get install cmake g\+\+ make;/);
    expect(lines[0]).toMatch(/then run `npm rebuild convnets`\.$/);
  });

  test('a prebuild that loads: nothing to do, nothing printed (no toolchain needed)', () => {
    const dest = path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(dest, { recursive: true });
    fs.copyFileSync(addonPath, path.join(dest, 'convnets.glibc.node'));
    try {
      const r = node([path.join(dir, 'scripts', 'install.js')], { cwd: dir, env: env() });
      expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
      // CONVNETS_BUILD_FROM_SOURCE=1 builds anyway: here that means reporting the missing toolchain
      const forced = node([path.join(dir, 'scripts', 'install.js')], { cwd: dir, env: env({ CONVNETS_BUILD_FROM_SOURCE: '1' }) });
      expect(forced.status).toBe(1);
      expect(forced.stderr).toMatch(/^convnets: building from source as asked, and building one needs cmake/);
    } finally {
      fs.rmSync(path.join(dir, 'prebuilds'), { recursive: true, force: true });
    }
  });
});

describe('a missing addon', () => {
  test('loading the package without a binary says what was looked for and how to fix it (no node-gyp-build trace)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-noaddon-'));
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'convnets', main: 'dist/index.js' }));
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
      const r = node(['-e', `try { require(${JSON.stringify(dir)}) } catch (e) { console.log(e.message) }`]);
      const msg = r.stdout.trim();
      expect(msg).toMatch(/^convnets: no native addon for linux-x64 \(Node [\d.]+, glibc [\d.]+\): neither a prebuilt binary/);
      expect(msg).toContain('Possible solutions:');
      expect(msg).toContain('npm rebuild convnets');
      expect(msg).toContain('npm install-scripts approve convnets');
      expect(msg).not.toMatch(/node-gyp-build\.js/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('a binary that fails to load names the loader error and the source build', () => {
    const msg = loadErrorMessage(new Error("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.36' not found"), '/p');
    expect(msg.split('\n')[0]).toMatch(/the native addon for linux-x64 .* was found but failed to load: .*GLIBC_2\.36' not found$/);
    expect(msg).toContain('CONVNETS_BUILD_FROM_SOURCE=1 npm rebuild convnets');
    expect(msg).toContain('glibc >= 2.36');
  });
});

describe('release binary checker (scripts/check-prebuild.js)', () => {
  /** A minimal ELF64 with one section `.nv_fatbin` holding `payload`. */
  function elf(payload: Buffer): Buffer {
    const names = Buffer.from('\0.shstrtab\0.nv_fatbin\0');
    const dataOff = 64, namesOff = dataOff + payload.length, shoff = namesOff + names.length;
    const buf = Buffer.alloc(shoff + 3 * 64);
    buf.writeUInt32BE(0x7f454c46, 0);
    buf[4] = 2;
    buf.writeBigUInt64LE(BigInt(shoff), 0x28);
    buf.writeUInt16LE(64, 0x3a);
    buf.writeUInt16LE(3, 0x3c);
    buf.writeUInt16LE(1, 0x3e);
    payload.copy(buf, dataOff);
    names.copy(buf, namesOff);
    const sh = (i: number, name: number, off: number, size: number) => {
      buf.writeUInt32LE(name, shoff + i * 64);
      buf.writeBigUInt64LE(BigInt(off), shoff + i * 64 + 24);
      buf.writeBigUInt64LE(BigInt(size), shoff + i * 64 + 32);
    };
    sh(1, 1, namesOff, names.length);
    sh(2, 11, dataOff, payload.length);
    return buf;
  }
  function fatbin(entries: [kind: number, sm: number, size: number][]): Buffer {
    const parts = entries.map(([kind, sm, size]) => {
      const e = Buffer.alloc(64 + size);
      e.writeUInt16LE(kind, 0);
      e.writeUInt32LE(64, 4);
      e.writeBigUInt64LE(BigInt(size), 8);
      e.writeUInt32LE(sm, 28);
      return e;
    });
    const body = Buffer.concat(parts);
    const head = Buffer.alloc(16);
    head.writeUInt32LE(0xba55ed50, 0);
    head.writeUInt16LE(1, 4);
    head.writeUInt16LE(16, 6);
    head.writeBigUInt64LE(BigInt(body.length), 8);
    return Buffer.concat([head, body]);
  }

  test('reads cubin and PTX architectures of every fatbin in .nv_fatbin', () => {
    const all: [number, number, number][] = [[2, 75, 8], [2, 80, 24], [2, 86, 8], [2, 89, 8], [2, 90, 16], [1, 90, 40]];
    const sec = checker.elfSection(elf(Buffer.concat([fatbin(all), Buffer.alloc(8), fatbin(all.slice(1))])), '.nv_fatbin');
    const fbs = checker.fatbins(sec);
    expect(fbs).toHaveLength(2);
    expect([...fbs[0].cubins].sort()).toEqual([75, 80, 86, 89, 90]);
    expect([...fbs[0].ptx]).toEqual([90]);
    expect([...fbs[1].cubins].sort()).toEqual([80, 86, 89, 90]);  // sm_75 missing: check() reports it
  });

  test('the loaded binary passes the checks (all five architectures when it has CUDA)', () => {
    const r = checker.check(addonPath, { cuda: cuda.compiled(), maxMb: checker.DEFAULT_MAX_MB });
    expect(r.problems).toEqual([]);
    if (cuda.compiled()) expect(r.line).toMatch(/cubins sm_75\/80\/86\/89\/90, PTX 90/);
    const tight = checker.check(addonPath, { cuda: false, maxMb: 0.1 });
    expect(tight.problems[0]).toMatch(/MB is over the 0.1 MB limit/);
  });
});
