#!/bin/sh
# test_trace.sh [KVSIM] — `kvsim trace --format json` parses and its numbers
# equal the closed forms (tests/trace_check.py), for a range of configs;
# CSV has one row per step and mode; the table says measured = closed form.
set -u
K=${1:-build/kvsim}
here=$(dirname "$0")
pass=0
fail=0
j=$(mktemp)
trap 'rm -f "$j"' EXIT

check() {
    if "$K" trace --format json "$@" >"$j" && python3 -m json.tool <"$j" >/dev/null &&
        python3 "$here/trace_check.py" <"$j"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: trace --format json $*"
    fi
}

check
check --prompt a --gen 1 --max-seq 2
check --prompt a --gen 30 --d-model 4 --heads 1 --layers 1
check --prompt 'hello world' --gen 5 --d-model 16 --heads 16 --layers 3 --d-ff 7 --seed 9
check --prompt '我是一个学生' --gen 6 --d-model 12 --heads 3
check --prompt 'say "hi" \ ok' --gen 2
check --prompt abcdefgh --gen 40 --d-model 64 --heads 8 --max-seq 48
check --prompt 'hello there' --gen 9 --heads 2 --kv-heads 1
check --prompt 'hello there' --gen 9 --d-model 16 --heads 8 --kv-heads 2 --window 4
check --prompt abc --gen 20 --window 5
check --prompt 'a long prompt' --gen 3 --window 3 --kv-heads 1

rows=$("$K" trace --format csv --gen 5 | wc -l)
if [ "$rows" -eq $((1 + 5 + 5 + 1)) ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: csv rows $rows"; fi
if "$K" trace | grep -q "measured = closed form: yes"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: table check line"; fi
if "$K" trace --format json --mode cache | python3 -c 'import json,sys; d=json.load(sys.stdin); assert list(d["modes"])==["cache"] and "train" not in d'; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: --mode cache"; fi

echo "trace: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
