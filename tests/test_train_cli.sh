#!/bin/sh
# test_train_cli.sh [KVSIM] — `kvsim train` end to end on a tiny shape:
# bad options (exit 2), a run writes a model file that every command loads,
# the same seed gives the same file byte for byte, Ctrl-C (SIGINT) writes a
# checkpoint and exits 130, and --resume from it ends with exactly the file
# of the uninterrupted run; --rope sets flag bit 1, its file runs with
# measured = closed form and cache == recompute, and resumes the same way.
set -u
cd "$(dirname "$0")/.." || exit 2
K=${1:-build/kvsim}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

SHAPE="--d-model 8 --heads 2 --layers 1 --max-seq 16 --batch 4 --copy-steps 100 --short-steps 50 --every 1000"

"$K" train --help >"$tmp/out" 2>&1 && grep -q "Usage: kvsim train" "$tmp/out" && ok || bad "train --help"
"$K" train --bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
# bad input: exit 2, one line on stderr (wc -l: exactly one newline)
lines() { wc -l <"$tmp/err" | tr -d ' '; }
[ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(lines)" -eq 1 ] && grep -q "unknown option.*; see 'kvsim train --help'$" "$tmp/err" &&
    ok || bad "train --bogus -> $rc: $(cat "$tmp/err")"
"$K" train --steps 0 >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && [ "$(lines)" -eq 1 ] && grep -q -- "--steps" "$tmp/err" && ok || bad "train --steps 0 -> $rc: $(cat "$tmp/err")"
"$K" train --data "$tmp/nowhere" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && [ "$(lines)" -eq 1 ] && grep -q "cannot read the corpus" "$tmp/err" && ok || bad "train --data missing -> $rc"
"$K" train --eval "$tmp/none.kvsim" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && [ "$(lines)" -eq 1 ] && grep -q "^kvsim: --eval $tmp/none.kvsim: cannot open the file" "$tmp/err" && ok ||
    bad "train --eval missing -> $rc: $(cat "$tmp/err")"
"$K" train --show-alphabet >"$tmp/out" 2>&1 && grep -q "characters:" "$tmp/out" && ok || bad "--show-alphabet"

# a run, twice: the same bytes
"$K" train $SHAPE --steps 300 --out "$tmp/a.kvsim" >"$tmp/a.log" 2>&1 && ok || bad "train run: $(tail -n 1 "$tmp/a.log")"
grep -q "^done: 300 steps" "$tmp/a.log" && ok || bad "final summary line"
grep -q "^held-out copy:" "$tmp/a.log" && ok || bad "summary measures copy accuracy"
"$K" train $SHAPE --steps 300 --out "$tmp/b.kvsim" >/dev/null 2>&1
cmp -s "$tmp/a.kvsim" "$tmp/b.kvsim" && ok || bad "same seed, different files"
"$K" trace --model "$tmp/a.kvsim" --prompt 'ab' --gen 3 >"$tmp/out" 2>&1 && ok || bad "trace --model: $(head -n 1 "$tmp/out")"
grep -q "measured = closed form: yes" "$tmp/out" && grep -q "max |logit difference| = 0$" "$tmp/out" && ok ||
    bad "trace of the trained file: counts or cache == recompute"

# --rope: no position table, flag bit 1 in the file, and the engine runs it
# with measured = closed form and cache == recompute
"$K" train $SHAPE --rope --steps 200 --out "$tmp/r.kvsim" >"$tmp/r0.log" 2>&1 && grep -q ", RoPE:" "$tmp/r0.log" && ok ||
    bad "train --rope: $(tail -n 1 "$tmp/r0.log")"
flags=$(od -A n -t u4 -j 12 -N 4 "$tmp/r.kvsim" | tr -d ' ')
[ -n "$flags" ] && [ $((flags & 2)) -eq 2 ] && ok || bad "train --rope: flag bit 1 not set (flags '$flags')"
flags=$(od -A n -t u4 -j 12 -N 4 "$tmp/a.kvsim" | tr -d ' ')
[ -n "$flags" ] && [ $((flags & 2)) -eq 0 ] && ok || bad "train without --rope: flag bit 1 set (flags '$flags')"
"$K" trace --model "$tmp/r.kvsim" --prompt 'ab' --gen 3 >"$tmp/out" 2>&1 && grep -q "rotary positions" "$tmp/out" &&
    grep -q "measured = closed form: yes" "$tmp/out" && grep -q "max |logit difference| = 0$" "$tmp/out" && ok ||
    bad "trace of a --rope file: $(head -n 1 "$tmp/out")"
"$K" train --rope --d-model 6 --heads 2 >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "must be even" "$tmp/err" && ok || bad "train --rope with odd d_h -> $rc"
"$K" train --rope --dump-batches "$tmp" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "no RoPE" "$tmp/err" && ok || bad "train --rope --dump-batches -> $rc"

# Ctrl-C, then --resume: the same file as the uninterrupted run
# Interrupt as soon as the first progress line (step 50 of 4000) shows, not
# after a fixed sleep: an idle machine runs all 4000 tiny steps in about 1 s.
# interrupt_at_first_step LOG ARGS...: start `kvsim train ARGS` in the
# background, send SIGINT once LOG shows its first progress line; $rc is
# its exit status
interrupt_at_first_step() {
    log=$1
    shift
    "$K" train "$@" >"$log" 2>&1 &
    pid=$!
    i=0
    while [ "$i" -lt 3000 ] && ! grep -q '^step' "$log" 2>/dev/null; do
        sleep 0.01
        i=$((i + 1))
    done
    kill -INT "$pid"
    wait "$pid"; rc=$?
}
interrupt_at_first_step "$tmp/c.log" $SHAPE --every 50 --steps 4000 --out "$tmp/c.kvsim"
if [ "$rc" -eq 130 ] && [ -f "$tmp/c.kvsim.ckpt" ]; then
    ok
    grep -q "checkpoint" "$tmp/c.log" && ok || bad "no checkpoint message"
    "$K" train $SHAPE --steps 4000 --resume "$tmp/c.kvsim.ckpt" --out "$tmp/c.kvsim" >"$tmp/r.log" 2>&1 && ok ||
        bad "resume: $(tail -n 1 "$tmp/r.log")"
    "$K" train $SHAPE --steps 4000 --out "$tmp/d.kvsim" >/dev/null 2>&1
    cmp -s "$tmp/c.kvsim" "$tmp/d.kvsim" && ok || bad "interrupted + resumed run differs from the straight run"
else
    bad "SIGINT -> exit $rc, checkpoint: $(ls "$tmp")"
fi
# the same with --rope (no position table in the checkpoint either)
interrupt_at_first_step "$tmp/rc.log" $SHAPE --rope --every 50 --steps 4000 --out "$tmp/rc.kvsim"
if [ "$rc" -eq 130 ] && [ -f "$tmp/rc.kvsim.ckpt" ]; then
    "$K" train $SHAPE --rope --steps 4000 --resume "$tmp/rc.kvsim.ckpt" --out "$tmp/rc.kvsim" >"$tmp/rr.log" 2>&1 && ok ||
        bad "resume --rope: $(tail -n 1 "$tmp/rr.log")"
    "$K" train $SHAPE --rope --steps 4000 --out "$tmp/rd.kvsim" >/dev/null 2>&1
    cmp -s "$tmp/rc.kvsim" "$tmp/rd.kvsim" && ok || bad "--rope: interrupted + resumed run differs from the straight run"
    "$K" train $SHAPE --steps 4000 --resume "$tmp/rc.kvsim.ckpt" --out "$tmp/re.kvsim" >/dev/null 2>"$tmp/err"; rc=$?
    [ "$rc" -eq 2 ] && grep -q "differs" "$tmp/err" && ok || bad "resume a --rope checkpoint without --rope -> $rc"
else
    bad "--rope SIGINT -> exit $rc, checkpoint: $(ls "$tmp")"
fi
"$K" train $SHAPE --steps 10 --resume "$tmp/a.kvsim" --out "$tmp/e.kvsim" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "not a checkpoint" "$tmp/err" && ok || bad "resume from a plain model -> $rc"

echo "train_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
