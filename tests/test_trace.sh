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
# paged cache (6.4), batches, and traffic (6.5) with every other option
check --block-size 4
check --block-size 1 --prompt a --gen 5
check --block-size 64 --prompt abc --gen 3
check --block-size 3 --prompt abcdefghij --prompt xy --prompt hello --gen 12
check --block-size 1 --prompt a --prompt bb --prompt ccc --kv-heads 1
check --block-size 5 --window 3 --prompt 'a long prompt' --prompt 'hi' --gen 9
check --block-size 4 --window 6 --d-model 16 --heads 8 --kv-heads 2 --prompt 'hello there' --prompt '我是' --gen 10
check --block-size 2 --window 100 --prompt ab --prompt cde --gen 4
check --prompt one --prompt two --prompt three --gen 3
check --block-size 3 --mode cache --prompt abcd --prompt e
check --block-size 3 --mode recompute --prompt abcd --prompt e
check --block-size 2 --layers 3 --d-model 12 --heads 3 --kv-heads 1 --window 4 \
    --prompt a --prompt bb --prompt ccc --prompt dddd --prompt eeeee --gen 7 --max-seq 16
# chunked prefill (6.7) and speculative decoding (6.9), alone and with
# GQA, windows, blocks and each other; on the random and the trained model
check --chunk 3 --gen 5
check --chunk 1 --prompt abcdef --gen 3
check --chunk 4 --prompt abcdefgh --gen 2
check --chunk 100 --gen 4
check --chunk 2 --kv-heads 1 --window 3 --prompt 'a long prompt' --gen 6
check --chunk 5 --block-size 3 --prompt 'hello there' --gen 7
check --speculate 3 --prompt 'abcabcabc' --gen 12
check --speculate 1 --prompt 'the cat sat' --gen 10
check --speculate 8 --prompt aaaa --gen 20 --d-model 4 --heads 1 --layers 1
check --speculate 4 --window 3 --block-size 2 --prompt 'abab abab' --gen 15
check --speculate 2 --chunk 3 --kv-heads 1 --prompt 'xyzxyzxyz' --gen 9
check --speculate 5 --gen 1
check --model models/default.kvsim --speculate 4 --prompt 'abcdefgh abcdefgh abcd' --gen 16
check --model models/default.kvsim --chunk 4 --speculate 3 --window 8 --block-size 4 --prompt 'one two one two one' --gen 12
# a batch with chunks and drafts: every sequence's own steps (step lockstep)
check --chunk 3 --prompt 'the cat sat' --prompt 'a dog' --prompt 'hello world, hi' --gen 4 --block-size 4
check --chunk 2 --window 3 --kv-heads 1 --prompt abcdefg --prompt xy --gen 5 --block-size 2
check --speculate 3 --prompt 'abcabcabc' --prompt 'xyxyxy' --prompt q --gen 10 --block-size 3
check --speculate 2 --chunk 4 --window 5 --prompt 'one two one two' --prompt 'ab' --gen 9 --block-size 2
check --speculate 4 --chunk 5 --prompt 'abab' --prompt 'xyzxyzxyzxyz' --gen 8
check --model models/default.kvsim --speculate 4 --chunk 6 --block-size 4 \
    --prompt 'the cat sat on the mat. the cat' --prompt 'my dog likes red balls. my dog' --prompt '我是' --gen 12
# rotary positions (6.10): the rope MACs, and no position rows read, with every option
check --rope --d-model 8
check --rope --d-model 16 --heads 4 --kv-heads 2 --window 5 --gen 12
check --rope --d-model 8 --chunk 3 --block-size 3
check --rope --d-model 8 --speculate 3 --prompt abcabcabc --gen 10
check --rope --d-model 8 --heads 4 --kv-heads 1 --block-size 2 --prompt hello --prompt help --gen 6
# prefix sharing with chunks: a later prefill starts after its shared rows
check --prefix-cache --chunk 4 --block-size 4 --gen 3 --prompt 'the cat sat on' --prompt 'the cat sat in the sun' \
    --prompt 'the cat ran' --prompt 'the cat sat in the sun!'
check --prefix-cache --chunk 3 --speculate 3 --block-size 2 --gen 8 --prompt abcabcabcabc --prompt abcabcabcxyz
check --prefix-cache --chunk 2 --window 6 --block-size 2 --kv-heads 1 --gen 4 --prompt 'hello world' --prompt 'hello there'
check --prefix-cache --chunk 2 --window 8 --block-size 2 --gen 5 --prompt hello --prompt 'hello there' --prompt 'hello there!'
t=$("$K" trace --speculate 4 --prompt 'abcabcabc' --gen 12)
if echo "$t" | grep -q "measured = closed form: yes" && echo "$t" | grep -q "^speculative decoding: " &&
    echo "$t" | grep -q "same tokens and logits as plain decoding: yes"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: table with --speculate"; fi
t=$("$K" trace --chunk 3 --block-size 2)
if echo "$t" | grep -q "measured = closed form: yes" && echo "$t" | grep -q "^chunked prefill: 4 prefill steps"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: table with --chunk"; fi
hdr=$("$K" trace --format csv --speculate 2 --gen 3 | head -n 1)
if [ "${hdr%drafted,accepted,emitted}" != "$hdr" ]; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: csv with --speculate ($hdr)"; fi

rows=$("$K" trace --format csv --gen 5 | wc -l)
if [ "$rows" -eq $((1 + 5 + 5 + 1)) ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: csv rows $rows"; fi
if "$K" trace | grep -q "measured = closed form: yes"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: table check line"; fi
t=$("$K" trace --block-size 3 --window 4 --kv-heads 1 --prompt abcdef --prompt xy --gen 6)
if echo "$t" | grep -q "measured = closed form: yes" && echo "$t" | grep -q "^paged KV cache" &&
    echo "$t" | grep -q "^memory traffic per step"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: table with paging and traffic"; fi
rows=$("$K" trace --format csv --gen 4 --block-size 2 --prompt ab --prompt c | wc -l)
hdr=$("$K" trace --format csv --gen 1 | head -n 1)
if [ "$rows" -eq $((1 + 4 + 4 + 1)) ] && [ "${hdr%arithmetic_intensity}" != "$hdr" ]; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: csv with paging ($rows rows, header $hdr)"; fi
if "$K" trace --format json --mode recompute --prompt ab --prompt c | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "batch" not in d and "pool" not in d'; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: --mode recompute has no batch"; fi
if "$K" trace --format json --mode cache | python3 -c 'import json,sys; d=json.load(sys.stdin); assert list(d["modes"])==["cache"] and "train" not in d'; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: --mode cache"; fi

echo "trace: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
