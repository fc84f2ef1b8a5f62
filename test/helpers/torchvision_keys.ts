// torchvision 0.14's records per network (scripts/dump_torchvision_keys.py → test/fixtures/models/keys/).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TorchvisionRecord {
  params: number;
  /** conv + linear multiply-accumulates for one 224×224 image (forward hooks, eval mode). */
  macs224: number;
  modules: [string, string][];
  stateDict: [string, number[]][];
}

export function torchvisionRecord(name: string): TorchvisionRecord {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'models', 'keys', `${name}.json`), 'utf8'));
}
