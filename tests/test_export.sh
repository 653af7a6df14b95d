#!/bin/sh
# test_export.sh — end-to-end test of `kvsim export`.
#
#   sh tests/test_export.sh [path/to/kvsim]      (default build/kvsim)
#
# For several small configurations: the export must be valid JSON
# (python3 -m json.tool) and tests/export_check.py must recompute every
# intermediate, token and count from the weights and the prompt alone.
# Then the checker itself is tested: corrupted exports must be rejected.
# Last line: "export: N passed, M failed"; exit status non-zero on failure.
set -u
bin=${1:-build/kvsim}
here=$(dirname "$0")
check="$here/export_check.py"
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvsim-export.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL - $1"; }

if [ ! -x "$bin" ]; then
    echo "test_export: $bin is not an executable (build it with make)"
    echo "export: 0 passed, 1 failed"
    exit 1
fi

# export_ok NAME FILE ARGS...: export with ARGS into FILE, validate, check
export_ok() {
    name=$1; out=$2; shift 2
    if ! "$bin" export "$@" >"$out" 2>"$tmp/err"; then
        not_ok "$name: kvsim export exited non-zero: $(cat "$tmp/err")"
        return
    fi
    if ! python3 -m json.tool "$out" >/dev/null 2>"$tmp/err"; then
        not_ok "$name: not valid JSON: $(cat "$tmp/err")"
        return
    fi
    if python3 "$check" "$out" >"$tmp/log" 2>&1; then
        ok "$name: $(tail -n 1 "$tmp/log")"
    else
        sed 's/^/     /' "$tmp/log"
        not_ok "$name: export_check found mismatches"
    fi
}

export_ok "default config" "$tmp/default.json"
export_ok "d=4 H=1 one layer, prompt 'ab', 3 tokens" "$tmp/small.json" \
    --d-model 4 --heads 1 --layers 1 --gen 3 --prompt ab
export_ok "d=12 H=3 three layers, Chinese prompt" "$tmp/zh.json" \
    --d-model 12 --heads 3 --layers 3 --prompt '我是一个学生' --gen 4 --max-seq 16
export_ok "d=8 H=4 F=5 seed 7, quotes and backslash in the prompt" "$tmp/odd.json" \
    --d-model 8 --heads 4 --d-ff 5 --seed 7 --prompt 'a"b\c KV' --gen 6 --max-seq 16

# the same run twice gives the same bytes
if "$bin" export --d-model 4 --heads 1 --layers 1 --gen 3 --prompt ab >"$tmp/again.json" 2>/dev/null &&
    cmp -s "$tmp/small.json" "$tmp/again.json"; then
    ok "export is deterministic"
else
    not_ok "export is deterministic: two runs differ"
fi

# export agrees with `kvsim trace` (cache mode): same tokens and counts
if "$bin" trace --format json --mode cache >"$tmp/trace.json" 2>"$tmp/err" &&
    python3 -c "
import json, sys
t = json.load(open(sys.argv[1], encoding='utf-8'))
e = json.load(open(sys.argv[2], encoding='utf-8'))
ts, es = t['modes']['cache']['steps'], e['steps']
ok = len(ts) == len(es) and all(
    a['token_id'] == b['token_id'] and a['macs'] == b['counts'] and
    a['masked_macs'] == b['masked_macs'] and a['kv_cache_bytes'] == b['kv_cache_bytes']
    for a, b in zip(ts, es))
ok = ok and all(e['config'][k] == v for k, v in t['config'].items())
sys.exit(0 if ok else 1)
" "$tmp/trace.json" "$tmp/default.json" 2>>"$tmp/err"; then
    ok "export agrees with kvsim trace (tokens, counts, config)"
else
    not_ok "export agrees with kvsim trace: $(cat "$tmp/err")"
fi

# The checker must reject corrupted exports. corrupt NAME PYTHON-STATEMENT
# edits the default export (as `d`) and expects export_check to fail.
corrupt() {
    name=$1
    if ! python3 -c "
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
$2
json.dump(d, open(sys.argv[2], 'w', encoding='utf-8'))
" "$tmp/default.json" "$tmp/bad.json" 2>"$tmp/err"; then
        not_ok "checker rejects $name: could not corrupt: $(cat "$tmp/err")"
        return
    fi
    if python3 "$check" "$tmp/bad.json" >"$tmp/log" 2>&1; then
        not_ok "checker rejects $name: export_check accepted it"
    else
        ok "checker rejects $name: $(head -n 1 "$tmp/log")"
    fi
}

if [ -s "$tmp/default.json" ]; then
    corrupt "an attention weight off by 0.01" "d['steps'][2]['layers'][1]['att'][0][0][5] += 0.01"
    corrupt "a masked cell given a value" "d['steps'][0]['layers'][0]['masked_scores'][1][0][3] = 0.0"
    corrupt "a decode step whose cached K row is altered" \
        "d['steps'][1]['layers'][0]['k'][0][0] += 0.5"
    corrupt "a count off by one" "d['steps'][1]['counts']['values'] += 1"
else
    not_ok "checker self-tests: no default export to corrupt"
fi

# docs/export.md stays true under GQA and windows: its Python snippet,
# extracted from the document, recomputes a score equal to the export's, and
# its closed forms (written out here as the document states them) give
# every step's counts.
sed -n '/^```python/,/^```$/p' "$here/../docs/export.md" | sed '1d;$d' >"$tmp/snippet.py"
for args in "" "--kv-heads 1" "--kv-heads 1 --window 3" "--d-model 12 --heads 6 --kv-heads 2 --window 2 --prompt abcde"; do
    if "$bin" export --gen 4 $args >"$tmp/run.json" 2>"$tmp/err" &&
        (cd "$tmp" && python3 snippet.py) >"$tmp/log" 2>&1 &&
        python3 -c "
import sys
lines = open(sys.argv[1]).read().split('\n')
a, b = map(float, lines[1].split())
sys.exit(0 if abs(a - b) < 1e-5 and a != 0 and lines[2] == 'True' else 1)
" "$tmp/log"; then
        ok "docs/export.md snippet on export $args: $(sed -n 2p "$tmp/log")"
    else
        not_ok "docs/export.md snippet on export $args: $(cat "$tmp/log" "$tmp/err" | head -3)"
    fi
    if python3 -c "
import json, sys
r = json.load(open(sys.argv[1], encoding='utf-8'))
c = r['config']
d, H, Lyr, F, V, W = c['d_model'], c['n_heads'], c['n_layers'], c['d_ff'], c['vocab'], c['window']
kv_dim = c['n_kv_heads'] * c['d_head']
for s in r['steps']:
    n, t, p0 = s['n'], s['t'], s['p0']
    want = {'qkv': (n * d * d + 2 * n * d * kv_dim) * Lyr, 'out_proj': n * d * d * Lyr,
            'ffn': 2 * n * d * F * Lyr, 'lm_head': d * V}
    if not W:
        want['scores'] = want['values'] = n * t * d * Lyr
        masked, kv = d * Lyr * n * (n - 1) // 2, 2 * Lyr * t * kv_dim * 4
    else:
        visible = sum(1 for i in range(n) for j in range(t) if p0 + i - W + 1 <= j <= p0 + i)
        if n == 1:
            want['scores'] = want['values'] = min(t, W) * d * Lyr
            masked = 0
        else:
            want['scores'] = want['values'] = n * t * d * Lyr
            masked = d * Lyr * (n * t - visible)
        kv = 2 * Lyr * min(t, W) * kv_dim * 4
    want['total'] = sum(want.values())
    got = s['counts']
    if got != want or s['masked_macs'] != masked or s['kv_cache_bytes'] != kv:
        print('step', s['step'], got, want, s['masked_macs'], masked, s['kv_cache_bytes'], kv)
        sys.exit(1)
" "$tmp/run.json" >"$tmp/log" 2>&1; then
        ok "docs/export.md closed forms on export $args"
    else
        not_ok "docs/export.md closed forms on export $args: $(cat "$tmp/log")"
    fi
done

# a write error is reported, not ignored
if [ -w /dev/full ]; then
    if "$bin" export >/dev/full 2>"$tmp/err"; then
        not_ok "write error: export to /dev/full exited 0"
    elif [ -s "$tmp/err" ]; then
        ok "write error reported: $(head -n 1 "$tmp/err")"
    else
        not_ok "write error: non-zero exit but no message"
    fi
fi

echo "export: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
