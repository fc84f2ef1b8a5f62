#!/usr/bin/env node
// Checks a release binary: under the size limit, no CUDA library in its NEEDED list (static cudart; the
// driver is opened at run time), and with --cuda, device code for every architecture we promise: a cubin
// for sm_75, 80, 86, 89 and 90 and PTX for sm_90 in every CUDA translation unit's fatbin. cuobjdump is not
// part of a runtime-only CUDA install, so the ELF section .nv_fatbin is read here directly.
// Usage: node scripts/check-prebuild.js [--cuda] [--max-mb N] file.node   (prints one line; exits 1 on failure)
'use strict';
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const CUBINS = [75, 80, 86, 89, 90];
const PTX = [90];
// Measured 2026-12-04: the stripped CUDA binary was 12.5 MB before the tensor-core kernels, 19.2 MB with their
// first version, 30.9 MB with the third (27 implicit-GEMM instantiations — 3 precisions × 3 block shapes × 3
// gathers — per architecture from sm_80; empty below). The limit leaves a little room; past it, drop the
// sm_86/sm_89 cubins (sm_80's run there) or instantiate fewer tensor-core variants.
const DEFAULT_MAX_MB = 36;

/** The bytes of ELF64 section `name`, or null. */
function elfSection(buf, name) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) throw new Error('not an ELF64 file');
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a), shnum = buf.readUInt16LE(0x3c), shstrndx = buf.readUInt16LE(0x3e);
  const sh = (i) => {
    const o = shoff + i * shentsize;
    return { name: buf.readUInt32LE(o), offset: Number(buf.readBigUInt64LE(o + 24)), size: Number(buf.readBigUInt64LE(o + 32)) };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const start = strtab.offset + s.name;
    const n = buf.toString('latin1', start, buf.indexOf(0, start));
    if (n === name) return buf.subarray(s.offset, s.offset + s.size);
  }
  return null;
}

/**
 * The fatbins in a .nv_fatbin section: each a header (magic 0xBA55ED50, version u16, header size u16,
 * payload size u64) then entries (kind u16: 1 PTX, 2 cubin; header size u32 at 4; payload size u64 at 8;
 * sm u32 at 28). Returns one {cubins, ptx} (sets of sm numbers) per fatbin.
 */
function fatbins(sec) {
  const out = [];
  let pos = 0;
  while (pos + 16 <= sec.length) {
    if (sec.readUInt32LE(pos) !== 0xba55ed50) { pos += 8; continue; }  // alignment padding between fatbins
    const headerSize = sec.readUInt16LE(pos + 6);
    const end = pos + headerSize + Number(sec.readBigUInt64LE(pos + 8));
    const fb = { cubins: new Set(), ptx: new Set() };
    for (let e = pos + headerSize; e + 32 <= end;) {
      const kind = sec.readUInt16LE(e), eh = sec.readUInt32LE(e + 4), size = Number(sec.readBigUInt64LE(e + 8));
      const sm = sec.readUInt32LE(e + 28);
      if (kind === 2) fb.cubins.add(sm);
      else if (kind === 1) fb.ptx.add(sm);
      else throw new Error(`unknown fatbin entry kind ${kind} at offset ${e}`);
      e += eh + size;
    }
    out.push(fb);
    pos = end;
  }
  return out;
}

function check(file, { cuda, maxMb }) {
  const problems = [];
  const bytes = fs.statSync(file).size;
  const mb = bytes / 1e6;
  if (mb > maxMb) problems.push(`${mb.toFixed(1)} MB is over the ${maxMb} MB limit`);
  const dyn = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const bad = needed.filter((l) => /cudart|cublas|cudnn|libcuda|nvrtc|libstdc\+\+/.test(l));
  if (bad.length) problems.push(`needs ${bad.join(', ')} at load time`);
  // The newest glibc symbol version it links against: the oldest glibc that can load it (older ones build from source).
  const syms = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const glibc = [...syms.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]).pop();
  let archs = 'no CUDA';
  if (cuda) {
    const sec = elfSection(fs.readFileSync(file), '.nv_fatbin');
    const fbs = sec ? fatbins(sec) : [];
    if (!fbs.length) problems.push('no .nv_fatbin section (built without CUDA?)');
    fbs.forEach((fb, i) => {
      const missing = [...CUBINS.filter((a) => !fb.cubins.has(a)).map((a) => `sm_${a}`),
        ...PTX.filter((a) => !fb.ptx.has(a)).map((a) => `PTX ${a}`)];
      if (missing.length) problems.push(`fatbin ${i} lacks ${missing.join(', ')}`);
    });
    const all = (k) => [...new Set(fbs.flatMap((fb) => [...fb[k]]))].sort((a, b) => a - b);
    archs = `${fbs.length} fatbins, cubins sm_${all('cubins').join('/')}, PTX ${all('ptx').join('/')}`;
  }
  return { ok: problems.length === 0, line: `${file}: ${mb.toFixed(1)} MB (limit ${maxMb}), ${archs}, NEEDED ${needed.join(' ')}, needs glibc >= ${glibc ? glibc.join('.') : '?'}`, problems };
}

module.exports = { elfSection, fatbins, check, CUBINS, PTX, DEFAULT_MAX_MB };

if (require.main === module) {
  const args = process.argv.slice(2);
  const cuda = args.includes('--cuda');
  const i = args.indexOf('--max-mb');
  const maxMb = i >= 0 ? Number(args[i + 1]) : DEFAULT_MAX_MB;
  const file = args.filter((a, j) => !a.startsWith('--') && (i < 0 || j !== i + 1))[0];
  if (!file) { console.error('usage: check-prebuild.js [--cuda] [--max-mb N] file.node'); process.exit(2); }
  const r = check(file, { cuda, maxMb });
  console.log(`check-prebuild: ${r.line}`);
  if (!r.ok) { console.error(`check-prebuild: FAILED: ${r.problems.join('; ')}`); process.exit(1); }
}
