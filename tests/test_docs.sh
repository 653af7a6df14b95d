#!/bin/sh
# test_docs.sh [KVSIM] — the documents against the program:
#   1. `make docs-check`: every `$ kvsim ...` example of README.md and
#      docs/*.md is run again and its output compared (tools/docs_check.py);
#   2. the check script of docs/counting.md, extracted from the document,
#      passes on the runs the document names;
#   3. every key of the trace JSON's config is documented: in spec §5 or as
#      `config.KEY` in docs/counting.md;
#   4. the example lesson shown in the teachers' guide is the file the
#      guide's examples run on.
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

echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
