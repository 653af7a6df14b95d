#!/bin/sh
# test_docs.sh [KVSIM] — `make docs-check` inside `make test`: every
# `$ kvsim ...` example of README.md and docs/*.md is run again and its
# output compared with the document (tools/docs_check.py).
set -u
K=${1:-build/kvsim}
cd "$(dirname "$0")/.." || exit 2
exec python3 tools/docs_check.py "$K"
