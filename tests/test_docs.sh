#!/bin/sh
# test_docs.sh [KVSIM] — the documents against the program:
#   1. `make docs-check`: every `$ kvsim ...` example of README.md and
#      docs/*.md is run again and its output compared (tools/docs_check.py);
#   2. the check script of docs/counting.md, extracted from the document,
#      passes on the runs the document names;
#   3. every key of the trace JSON's config is documented: in spec §5 or as
#      `config.KEY` in docs/counting.md;
#   4. the example lesson shown in the teachers' guide is the file the
#      guide's examples run on;
#   5. the teachers' guide's word counts (English words, Chinese 字) are
#      those of `kvsim lesson N --print` without hints and answers;
#   6. lesson 19 quotes d288-T256's measured speed-up range as the table
#      of docs/performance.md §3 gives it (en and zh).
set -u
K=${1:-build/kvsim}
cd "$(dirname "$0")/.." || exit 2
pass=0
fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 tools/docs_check.py "$K" >"$tmp/log" 2>&1
rc=$?
cat "$tmp/log"
line=$(tail -n 1 "$tmp/log")
p=$(echo "$line" | sed -n 's/^docs: \([0-9]*\) passed.*/\1/p')
f=$(echo "$line" | sed -n 's/.*passed, \([0-9]*\) failed$/\1/p')
pass=$((pass + ${p:-0}))
fail=$((fail + ${f:-1}))
[ "$rc" -eq 0 ] || [ "${f:-1}" -ne 0 ] || fail=$((fail + 1))

sed -n '/^```python/,/^```$/p' docs/counting.md | sed '1d;$d' >"$tmp/check.py"
for args in "" "--prompt 'the cat sat on the'" "--prompt a --gen 6" "--d-model 12 --heads 3 --layers 3 --d-ff 20 --gen 20"; do
    if eval "\"$K\" trace --format json $args" | python3 "$tmp/check.py" >"$tmp/out" 2>&1 && [ "$(cat "$tmp/out")" = ok ]; then ok
    else bad "docs/counting.md check script on trace $args: $(tail -n 1 "$tmp/out")"; fi
done

"$K" trace --format json --gen 1 --block-size 4 --kv-heads 1 --window 3 >"$tmp/trace.json"
for key in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["config"]))' "$tmp/trace.json"); do
    case $key in vocab|d_model|n_heads|n_layers|d_ff|max_seq|seed) ok; continue ;; esac   # spec §5
    if grep -q "config\.$key\b" docs/counting.md; then ok; else bad "trace JSON config.$key is documented nowhere"; fi
done

# the teachers' guide shows docs/examples/cache-growth.lesson whole: the
# copy in the text is the file its `$ build/kvsim lesson check` runs on
awk '/^A complete two-slide example/{f=1} f&&/^```$/{n++; if(n==2) exit; next} f&&n==1{print}' \
    docs/teachers-guide.md >"$tmp/guide.lesson"
if cmp -s "$tmp/guide.lesson" docs/examples/cache-growth.lesson; then ok
else bad "docs/teachers-guide.md's example differs from docs/examples/cache-growth.lesson"; fi
sed '10s/^mode: cache$/modee: cache/' docs/examples/cache-growth.lesson | cmp -s - docs/examples/broken.lesson && ok \
    || bad "docs/examples/broken.lesson is not cache-growth.lesson with line 10 broken"

# 5. the handout without its Hint:/If/A: lines (zh 提示/若/A:), as the
# guide's "How the times were measured" says
for n in $(sed -n 's/^| \([0-9][0-9]*\) | .* words, [0-9]* 字;.*/\1/p' docs/teachers-guide.md); do
    row=$(grep "^| $n | " docs/teachers-guide.md | grep -o '[0-9]* words, [0-9]* 字' | head -n 1)
    en=$("$K" lesson "$n" --print 2>&1 | grep -vE '^[[:space:]]*(Hint:|If |A:)' | wc -w | tr -d ' ')
    zh=$("$K" lesson "$n" --print --lang zh 2>&1 | grep -vE '^[[:space:]]*(提示|若|A:)' |
         python3 -c 'import re,sys; print(len(re.findall("[\u3400-\u9fff]", sys.stdin.read())))')
    if [ "$row" = "$en words, $zh 字" ]; then ok
    else bad "docs/teachers-guide.md lesson $n: '$row', the handout has $en words, $zh 字"; fi
done

# 6. the measured range lesson 19 quotes is the one performance.md shows
range=$(sed -n 's/^| d288-T256 | [^|]* | \([0-9]*\)–\([0-9]*\)× .*/\1 \2/p' docs/performance.md)
set -- $range
if [ $# -eq 2 ] && tr '\n' ' ' <lessons/en/19-measuring.lesson | grep -q "$1× to $2×" &&
   grep -q "$1 倍到 $2 倍" lessons/zh/19-measuring.lesson; then ok
else bad "lesson 19 does not quote docs/performance.md §3's d288-T256 range (${range:-none found})"; fi

echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
