#!/bin/sh
# test_prefix_trace.sh [KVSIM] — `kvsim trace --format json --prefix-cache`
# against prefix sharing's rule and counts written out again in Python
# (tests/prefix_check.py): shared_rows, the shortened prefill's MACs, the
# blocks shared (holes under a window), the pool replayed with reference
# counts; with and without a window, GQA, block sizes 1 .. 8, the trained
# and the random model. Each run must also share something (or, where
# marked, nothing), so a check that never sees sharing fails.
set -u
K=${1:-build/kvsim}
here=$(dirname "$0")
pass=0
fail=0
j=$(mktemp)
o=$(mktemp)
trap 'rm -f "$j" "$o"' EXIT

# check SHARING ARGS...: SHARING = how many sequences must share
check() {
    want=$1; shift
    if "$K" trace --format json --prefix-cache "$@" >"$j" && python3 "$here/prefix_check.py" <"$j" >"$o" &&
        grep -q ", $want sharing, 0 mismatches" "$o"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: trace --prefix-cache $*: $(tail -n 3 "$o" | tr '\n' ' ')"
    fi
}

C='the cat sat on a'
# no window: every later prompt shares its full common blocks
check 2 --d-model 8 --block-size 4 --gen 3 --prompt "$C" --prompt "$C mat" --prompt 'the cat ran'
# a continuation, a repeat (the cap), a prefix the window dropped
check 2 --d-model 8 --block-size 4 --window 6 --gen 4 --prompt "$C" --prompt "$C mat" --prompt "$C" --prompt 'the cat sat in the sun'
check 2 --block-size 4 --window 6 --gen 4 --prompt "$C" --prompt "$C mat" --prompt "$C" --prompt 'the cat sat in the sun'
# B > W: the continuation keeps none of the shared blocks (all holes)
check 2 --d-model 8 --block-size 8 --window 3 --gen 5 --prompt "$C" --prompt "$C mat" --prompt "$C"
# W = 1: a row reads no earlier row, so every common prefix is skipped (no block shared)
check 3 --d-model 8 --block-size 2 --window 1 --gen 3 --prompt "$C" --prompt "$C mat" --prompt "$C" --prompt 'the dog'
# a window larger than every prompt: as without one
check 3 --d-model 8 --block-size 3 --window 40 --gen 3 --prompt "$C" --prompt "$C mat" --prompt 'the cat' --prompt 'the cat ran'
# a later short prompt that fits the window is the donor; the earlier long one is not
check 1 --d-model 16 --heads 4 --kv-heads 2 --block-size 4 --window 8 --gen 3 --prompt 'the cat sat on the mat' --prompt 'the cat ' --prompt 'the cat ran away'
check 1 --d-model 8 --heads 2 --kv-heads 1 --block-size 1 --window 5 --gen 6 --prompt 'abcabc' --prompt 'abcabcab' --prompt 'abcx'
# the window drops every common prefix: nothing shared
check 0 --d-model 8 --block-size 2 --window 3 --gen 3 --prompt 'hello world' --prompt 'hello there' --prompt 'hello'
check 2 --block-size 2 --window 5 --gen 4 --prompt '我是一个学生' --prompt '我是一个学生。我是' --prompt '我是一个老师' --prompt '我是一个学生'
# with --speculate: the prefill shared, then verify steps (rejected rows rolled back)
check 2 --d-model 8 --block-size 4 --window 6 --speculate 3 --gen 8 --prompt "$C" --prompt "$C mat" --prompt "$C" --prompt 'the cat sat in the sun'
check 2 --block-size 2 --window 7 --speculate 4 --gen 10 --prompt 'the cat sat on the mat. the cat' --prompt 'the cat sat on the mat. the cat sat' --prompt 'the cat sat on the mat. the cat'
check 2 --d-model 8 --block-size 3 --speculate 2 --gen 6 --prompt "$C" --prompt "$C mat" --prompt 'the cat ran'

# the table says why a common prefix was not shared under a window (not with --chunk,
# where the donor's first chunk limits the rows as well)
"$K" trace --d-model 8 --block-size 4 --window 6 --prefix-cache --gen 2 --prompt "$C" --prompt 'the cat sat in the sun' >"$o"
if grep -q '^(seq 1: a common prefix would share 12 rows, but under the window W = 6 no earlier prompt still holds rows 7..11, which its row 12 reads)$' "$o"
then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: no note on seq 1's refused prefix"; fi
"$K" trace --d-model 8 --block-size 2 --window 6 --chunk 3 --prefix-cache --gen 2 --prompt "$C" --prompt "$C mat" >"$o"
if grep -q 'a common prefix would' "$o"; then fail=$((fail + 1)); echo "FAIL: a window note with --chunk"
else pass=$((pass + 1)); fi
# with --chunk (docs/serving.md): a donor gives the full blocks it holds after its first
# step; a sharing sequence holds more then, so a later one shares more from it
check 2 --d-model 8 --block-size 4 --chunk 4 --gen 3 --prompt 'the cat sat on' --prompt 'the cat sat in the sun' --prompt 'the cat ran'
check 2 --d-model 8 --block-size 2 --chunk 2 --window 8 --gen 5 --prompt hello --prompt 'hello there' --prompt 'hello there!'
check 1 --block-size 3 --chunk 3 --speculate 3 --gen 9 --prompt 'abcabcabcabc' --prompt 'abcabcxyz'
check 0 --d-model 8 --block-size 3 --chunk 2 --gen 3 --prompt 'abcdefgh' --prompt 'abcdefghij'

echo "prefix trace: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
