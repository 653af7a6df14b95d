#!/bin/sh
# test_default_model.sh [KVSIM] — the shipped trained model is the default
# (spec §1, §7): with no model option and no shape option every command runs
# models/default.kvsim, built into the binary (tools/embed); a shape option
# selects the seeded random model; --model FILE loads a file.
set -u
K=${1:-build/kvsim}
case "$K" in /*) ;; *) K="$(pwd)/$K" ;; esac   # the test also runs it from another directory
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvsim-default.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# json FILE EXPR: evaluate a Python expression over the JSON document d
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1],encoding='utf-8')); sys.exit(0 if ($2) else 1)" "$1"; }

# 1. no options: the trained model; measured = closed form, cache == recompute bitwise
if "$K" trace --format json >"$tmp/t.json" 2>"$tmp/err" && python3 "$here/trace_check.py" <"$tmp/t.json" >/dev/null; then ok
else bad "trace (no options): $(head -n 1 "$tmp/err") / trace_check failed"; fi
json "$tmp/t.json" 'd["config"]["model"] == "default.kvsim"' && ok || bad "trace config model is not \"default.kvsim\""
json "$tmp/t.json" 'd["equivalent"] is True and d["max_abs_logit_diff"] == 0.0' && ok || bad "cache != recompute bitwise"
# its shape is the file's, not the random model's (V is the file's alphabet, not the full 1,073)
json "$tmp/t.json" 'd["config"]["vocab"] < 1000 and d["config"]["d_model"] != 8' && ok || bad "default config looks random: $(head -c 200 "$tmp/t.json")"
# a longer run, with a window and a paged cache: still closed forms and bitwise equal
"$K" trace --format json --prompt 'the cat sat on the mat. the cat' --gen 16 --window 12 --block-size 4 >"$tmp/w.json" &&
    python3 "$here/trace_check.py" <"$tmp/w.json" >/dev/null && ok || bad "trace --window 12 --block-size 4 on the default model"

# 2. the built-in bytes are models/default.kvsim: the same run through --model gives the same numbers
"$K" trace --format json --model "$root/models/default.kvsim" >"$tmp/f.json" 2>"$tmp/err" || bad "--model models/default.kvsim: $(head -n 1 "$tmp/err")"
python3 - "$tmp/t.json" "$tmp/f.json" <<'PY' && ok || bad "the built-in model and models/default.kvsim differ"
import json, sys
a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
a["config"].pop("model"); b["config"].pop("model")
sys.exit(0 if a == b else 1)
PY

# 3. it reads as text: the trained model continues a repeated phrase of its corpus
json "$tmp/t.json" '"".join(s["token"] for s in d["modes"]["cache"]["steps"]).strip() != ""' && ok || bad "no tokens"
"$K" trace --format json --prompt '我是一个学生。我是' --gen 5 >"$tmp/zh.json" &&
    json "$tmp/zh.json" '"".join(s["token"] for s in d["modes"]["cache"]["steps"]) == "一个学生。"' && ok ||
    bad "我是一个学生。我是 does not continue 一个学生。"

# 4. export: the alphabet, V entries, and the model's name
if "$K" export >"$tmp/e.json" 2>"$tmp/err"; then ok; else bad "export: $(head -n 1 "$tmp/err")"; fi
json "$tmp/e.json" 'len(d["alphabet"]) == d["config"]["vocab"] and " " in d["alphabet"] and "我" in d["alphabet"]' && ok ||
    bad "export has no alphabet of V characters"
json "$tmp/e.json" 'd["config"]["model"] == "default.kvsim"' && ok || bad "export config model"
python3 "$here/export_check.py" "$tmp/e.json" >/dev/null 2>&1 && ok || bad "export_check on the default model"

# 5. a prompt character outside the model's alphabet: exit 2, one line naming it (UI and trace)
for cmd in "" trace; do
    # shellcheck disable=SC2086
    "$K" $cmd --prompt 'hé' >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    first=$(head -n 1 "$tmp/err")
    if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
        echo "$first" | grep -q "character 'é' (U+00E9) at position 2 is not in the model's alphabet"; then ok
    else bad "kvsim $cmd --prompt hé -> exit $rc: $first"; fi
done

# 6. a shape option still selects the seeded random model (full alphabet)
for opt in "--d-model 8" "--heads 2" "--layers 2" "--d-ff 32" "--seed 42" "--kv-heads 2"; do
    # shellcheck disable=SC2086
    "$K" trace --format json $opt >"$tmp/r.json" 2>"$tmp/err" &&
        json "$tmp/r.json" 'd["config"]["model"] == "random" and d["config"]["vocab"] == 1073' && ok ||
        bad "trace $opt is not the random model: $(head -n 1 "$tmp/err")"
done
# --d-model 8 is the old default exactly (the §1 defaults): same tokens as every other spelling of it
"$K" trace --format json --d-model 8 --heads 2 --layers 2 --d-ff 32 --seed 42 >"$tmp/r2.json" &&
    "$K" trace --format json --d-model 8 >"$tmp/r1.json" && cmp -s "$tmp/r1.json" "$tmp/r2.json" && ok ||
    bad "--d-model 8 is not the §1 default random model"

# 7. from any directory (the model is in the binary, not read from models/)
(cd "$tmp" && "$K" trace --format json >"$tmp/cd.json" 2>"$tmp/err") && cmp -s "$tmp/t.json" "$tmp/cd.json" && ok ||
    bad "trace from another directory: $(head -n 1 "$tmp/err")"

# 8. frames (the UI without a terminal) names the model in its title
"$K" frames --size 120x40 --steps 1 >"$tmp/frames.txt" 2>"$tmp/err" && grep -q "default.kvsim" "$tmp/frames.txt" && ok ||
    bad "frames at 120x40 does not name default.kvsim: $(head -n 1 "$tmp/err")"
"$K" frames --size 120x40 --steps 1 --d-model 8 >"$tmp/frames.txt" 2>&1 && grep -q "random model" "$tmp/frames.txt" && ok ||
    bad "frames --d-model 8 does not say random model"

echo "default model: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
