#!/usr/bin/python3
"""Regenerates every committed PyTorch fixture: runs fixtures_ops.py and, when present, fixtures_models.py.

Run with Debian's torch: /usr/bin/python3 scripts/make_fixtures.py
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    for script in ('fixtures_ops.py', 'fixtures_models.py'):
        path = os.path.join(HERE, script)
        if not os.path.exists(path):
            print('skipping %s (not present)' % script)
            continue
        print('running %s' % script)
        subprocess.run([sys.executable, path], check=True)


if __name__ == '__main__':
    main()
