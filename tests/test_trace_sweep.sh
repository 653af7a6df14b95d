#!/bin/sh
# test_trace_sweep.sh [KVSIM] — 200 configurations drawn with a fixed seed
# from every option that combines (GQA, window, paged blocks, batches with
# common prefixes, --prefix-cache, --chunk, --speculate, --rope, the
# random and the shipped model), each `kvsim trace --format json` checked
# against the closed forms by tests/trace_check.py and, for prefix
# sharing, tests/prefix_check.py. Fails on any mismatch and when a
# combination was never drawn (tests/trace_sweep.py).
set -u
K=${1:-build/kvsim}
here=$(dirname "$0")
python3 "$here/trace_sweep.py" "$K" 200 2026
