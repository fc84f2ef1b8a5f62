#!/usr/bin/python3
"""Regenerates every committed PyTorch fixture: runs fixtures_ops.py, fixtures_models.py when present,
and any other scripts/fixtures_*.py (e.g. fixtures_conv.py), each in its own process.

Run with Debian's torch: /usr/bin/python3 scripts/make_fixtures.py
"""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    first = ['fixtures_ops.py', 'fixtures_models.py']
    others = sorted(os.path.basename(p) for p in glob.glob(os.path.join(HERE, 'fixtures_*.py')))
    for script in first + [s for s in others if s not in first]:
        path = os.path.join(HERE, script)
        if not os.path.exists(path):
            print('skipping %s (not present)' % script)
            continue
        print('running %s' % script, flush=True)
        subprocess.run([sys.executable, path], check=True)


if __name__ == '__main__':
    main()
