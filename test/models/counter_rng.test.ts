// The TS counter generator equals the Python one (scripts/fixtures_models.py) bit for bit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { counterValues, hash32 } from '../helpers/counter_rng';

interface Row { t: number; lo: number; hi: number; values?: number[]; tail?: number[]; n?: number }

test('counterValues matches the Python generator exactly', () => {
  const rows: Row[] = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'models', 'rng_check.json'), 'utf8'));
  expect(rows.length).toBeGreaterThan(3);
  for (const r of rows) {
    if (r.values) expect(Array.from(counterValues(r.t, r.values.length, r.lo, r.hi))).toEqual(r.values);
    if (r.tail) expect(Array.from(counterValues(r.t, r.n!, r.lo, r.hi).subarray(-3))).toEqual(r.tail);
  }
});

test('hash32 is the lowbias32 permutation (known values)', () => {
  // lowbias32(0) = 0; lowbias32(1) computed by hand from its three xorshift-multiply rounds
  expect(hash32(0)).toBe(0);
  let x = 1;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Number((BigInt(x) * 0x7feb352dn) & 0xffffffffn);
  x = (x ^ (x >>> 15)) >>> 0;
  x = Number((BigInt(x) * 0x846ca68bn) & 0xffffffffn);
  x = (x ^ (x >>> 16)) >>> 0;
  expect(hash32(1)).toBe(x);
  const v = counterValues(5, 10000, -1, 1);
  expect(Math.min(...v)).toBeGreaterThan(-1);
  expect(Math.max(...v)).toBeLessThan(1);
  expect(new Set(v).size).toBeGreaterThan(9990);
});
