#!/bin/sh
# test_cli.sh [KVSIM] — the real binary on good and bad command lines.
# Every bad input: exit status 2, nothing on stdout, one message line on
# stderr followed by "Try 'kvsim --help'.", and never a crash.
set -u
K=${1:-build/kvsim}
pass=0
fail=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_error PATTERN ARGS...: exit 2, stderr line 1 matches PATTERN
expect_error() {
    pat=$1; shift
    "$K" "$@" >"$out" 2>"$err"
    rc=$?
    first=$(head -n 1 "$err")
    if [ "$rc" -ne 2 ]; then bad "kvsim $* -> exit $rc (want 2): $first"; return; fi
    if [ -s "$out" ]; then bad "kvsim $* wrote to stdout"; return; fi
    if [ "$(wc -l <"$err")" -ne 2 ]; then bad "kvsim $* -> $(wc -l <"$err") stderr lines (want 2)"; return; fi
    if ! grep -q "Try 'kvsim --help'" "$err"; then bad "kvsim $* -> no help hint"; return; fi
    case "$first" in
        kvsim:*) ;;
        *) bad "kvsim $* -> message does not start with 'kvsim:': $first"; return ;;
    esac
    if ! echo "$first" | grep -q -- "$pat"; then bad "kvsim $* -> '$first' lacks '$pat'"; return; fi
    ok
}

expect_ok() {
    "$K" "$@" >"$out" 2>"$err"
    rc=$?
    if [ "$rc" -ne 0 ]; then bad "kvsim $* -> exit $rc: $(head -n 1 "$err")"; return; fi
    if [ -s "$err" ]; then bad "kvsim $* wrote to stderr: $(head -n 1 "$err")"; return; fi
    ok
}

# --- good ---
expect_ok --help
grep -q "Usage: kvsim" "$out" && ok || bad "--help text"
expect_ok --version
grep -q "^kvsim [0-9]" "$out" && ok || bad "--version text"
expect_ok trace
expect_ok trace --format csv
expect_ok trace --format json --mode cache
expect_ok trace --mode recompute --prompt 'hi' --gen 2
expect_ok trace --prompt '我是一个学生' --gen 3 --d-model 4 --heads 4 --layers 1
expect_ok trace --prompt a --gen 1 --max-seq 2
expect_ok trace --seed 18446744073709551615
expect_ok trace --block-size 4 --prompt a --prompt bb --prompt ccc
expect_ok trace --block-size 64 --window 3 --kv-heads 1 --format json
expect_ok trace --block-size 1 --prompt a --gen 1 --max-seq 2 --format csv
expect_ok export --block-size 4 --prompt ab --prompt c --gen 2
expect_ok frames --block-size 3 --prompt ab --prompt cde --steps 1

# --- model files (spec §7, docs/model-format.md) ---
M=models/default.kvsim
mtmp=$(mktemp -d)
expect_ok trace --model "$M" --prompt 'the cat' --gen 3
expect_ok trace --model "$M" --prompt '我是' --gen 2 --window 4 --format json
grep -q '"model": "models/default.kvsim"' "$out" && ok || bad "trace json names the model"
expect_ok export --model "$M" --prompt 'ab' --gen 1
grep -q '"alphabet": \[" ", "!"' "$out" && ok || bad "export lists the model's alphabet"
expect_error "own shape" trace --model "$M" --d-model 8
expect_error "own shape" trace --seed 3 --model "$M"
expect_error "cannot open" trace --model "$mtmp/none.kvsim"
expect_error "not a kvsim model file" trace --model Makefile
head -c 100 "$M" >"$mtmp/short.kvsim"
expect_error "truncated" trace --model "$mtmp/short.kvsim"
expect_error "model's alphabet" trace --model "$M" --prompt 'a€'
expect_error "max-seq 65" trace --model "$M" --max-seq 65
rm -rf "$mtmp"

# --- non-numeric, zero, negative, huge ---
for o in gen d-model heads layers d-ff max-seq block-size; do
    expect_error "not a number" trace --$o abc
    expect_error "not a number" trace --$o 12x
    expect_error "not a number" trace --$o ''
    expect_error "out of range" trace --$o 0
    expect_error "out of range" trace --$o -3
    expect_error "out of range" trace --$o 99999999999999999999999
    expect_error "missing value" trace --$o
done
expect_error "seed" trace --seed -1
expect_error "seed" trace --seed x
expect_error "seed" trace --seed 18446744073709551616

# --- shapes ---
expect_error "divisible" trace --heads 3
expect_error "divisible" trace --d-model 10 --heads 4
expect_error "between 1 and d-model" trace --d-model 4 --heads 8
expect_error "too large" trace --d-model 16384 --d-ff 16384
expect_error "too large" trace --max-seq 65536 --heads 8 --d-model 64 --prompt a --gen 1
expect_error "default d-ff" trace --d-model 65536
expect_error "out of range" trace --d-model 2147483648

# --- paged cache and batches ---
expect_error "between 1 and max-seq (64)" trace --block-size 65
expect_error "between 1 and max-seq (4)" trace --block-size 8 --max-seq 4 --prompt a --gen 1
expect_error "at most 16 prompts" trace $(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do printf -- '--prompt a '; done)
expect_error "--prompt #2: .*U+20AC" trace --prompt ab --prompt 'a€'
expect_error "--prompt #3: .*empty" trace --prompt ab --prompt c --prompt ''
expect_error "--prompt #2: .*exceeds --max-seq" trace --prompt ab --prompt abcdefg --gen 2 --max-seq 8
expect_error "invalid UTF-8" trace --prompt ab --prompt "$(printf 'ab\377')"
expect_error "missing value" trace --prompt ab --prompt
expect_error "a batch of 16 sequences" trace --max-seq 4096 --heads 1 --layers 1 --gen 1 \
    $(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do printf -- '--prompt a '; done)

# --- prompts and lengths ---
expect_error "exceeds --max-seq" trace --gen 100
expect_error "exceeds --max-seq" trace --prompt abcd --gen 5 --max-seq 8
expect_error "at most 4 allowed" trace --prompt abcdef --max-seq 4
expect_error "empty" trace --prompt ''
expect_error "U+20AC" trace --prompt 'a€'
expect_error "position 2" trace --prompt 'a€'
expect_error "U+0009" trace --prompt "$(printf 'a\tb')"
expect_error "invalid UTF-8" trace --prompt "$(printf 'ab\377')"
expect_error "byte 3" trace --prompt "$(printf 'ab\377')"
expect_error "invalid UTF-8" trace --prompt "$(printf '\300\257')"

# --- words ---
expect_error "unknown option" trace --bogus
expect_error "unknown option" -x
expect_error "unknown command" frobnicate
expect_error "unexpected argument" trace extra
expect_error "expected table, csv or json" trace --format xml
expect_error "expected cache, recompute, both or train" trace --mode fast
expect_error "expected en or zh" --lang fr trace
expect_error "WIDTHxHEIGHT" frames --size 80
expect_error "WIDTHxHEIGHT" frames --size 5x5

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
