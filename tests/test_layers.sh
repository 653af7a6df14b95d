#!/bin/sh
# test_layers.sh — tools/check-layers passes on this tree, and fails on a
# copy with each rule broken once (so the check itself cannot pass
# vacuously). Usage: sh tests/test_layers.sh [kvsim binary, unused]
set -u
cd "$(dirname "$0")/.." || exit 2
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

out=$(sh tools/check-layers . 2>&1)
if [ $? -eq 0 ]; then ok; else bad "the tree breaks a layering rule:"; echo "$out"; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# a copy of the sources, then one violation at a time
copy() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t"
    cp -R sim lessons ui "$tmp/t/"
}
expect_broken() {   # NAME FILE LINE: add LINE to FILE, expect the rule NAME to fail
    copy
    printf '%s\n' "$3" >>"$tmp/t/$2"
    out=$(sh tools/check-layers "$tmp/t" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] && echo "$out" | grep -q "FAIL $1" && echo "$out" | grep -q "$2"; then ok
    else bad "'$3' in $2 not reported as '$1' (rc $rc): $out"; fi
}
expect_broken "sim/ includes ui/ or lessons/" sim/counts.c '#include "ui/app.h"'
expect_broken "sim/ includes ui/ or lessons/" sim/kernels.h '#include "lessons/eval.h"'
expect_broken "lessons/ includes ui/" lessons/eval.c '#  include "ui/canvas.h"'
expect_broken "curses outside ui/term.c" ui/canvas.c '#include <curses.h>'
expect_broken "curses outside ui/term.c" sim/run.c '#include <ncursesw/ncurses.h>'
expect_broken "engine_init outside sim/run.c" ui/app.c 'static void f(void) { Engine e; engine_init(&e, 0, 0, 0, 0, 0, 0, 0); }'
expect_broken "engine_init outside sim/run.c" sim/trace.c 'int g = engine_init (0);'
# prose may name what it must not do; comments are not code
copy
printf '%s\n' '/* never call engine_init() here: use run_init */' >>"$tmp/t/ui/app.c"
if sh tools/check-layers "$tmp/t" >/dev/null 2>&1; then ok; else bad "a comment naming engine_init() was reported"; fi

echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
