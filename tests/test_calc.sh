#!/bin/sh
# test_calc.sh [KVSIM] — `kvsim calc`, the real-model calculator, end to end:
# the published figures through --format json, the table, agreement with the
# counters `kvsim trace` measures on small shapes, and bad input (exit 2,
# nothing on stdout, exactly one line on stderr, ending "; see 'kvsim calc --help'").
set -u
K=${1:-build/kvsim}
pass=0
fail=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# json_check 'PYTHON EXPR over d' ARGS...: kvsim calc ARGS --format json, then
# assert the expression (d is the parsed object).
json_check() {
    expr=$1; shift
    if ! "$K" calc "$@" --format json >"$out" 2>"$err"; then
        bad "calc $* -> exit $?: $(head -n 1 "$err")"; return
    fi
    if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval("(" + sys.argv[2] + ")")
if not ok:
    keys = [k for k in sys.argv[2].replace("[", " ").replace("]", " ").split() if k.startswith(chr(34))]
    print("  got:", {k.strip(chr(34)): d.get(k.strip(chr(34))) for k in keys})
sys.exit(0 if ok else 1)' "$out" "$expr"; then ok; else bad "calc $* : $expr"; fi
}

# expect_error PATTERN ARGS...: kvsim calc ARGS exits 2 with one message line
expect_error() {
    pat=$1; shift
    "$K" calc "$@" >"$out" 2>"$err"
    rc=$?
    first=$(head -n 1 "$err")
    if [ "$rc" -ne 2 ]; then bad "calc $* -> exit $rc (want 2): $first"; return; fi
    if [ -s "$out" ]; then bad "calc $* wrote to stdout"; return; fi
    if [ "$(wc -l <"$err")" -ne 1 ]; then bad "calc $* -> $(wc -l <"$err") stderr lines (want 1)"; return; fi
    case "$first" in
        *"; see 'kvsim calc --help'") ;;
        *) bad "calc $* -> does not point at 'kvsim calc --help': $first"; return ;;
    esac
    case "$first" in
        kvsim:*) ;;
        *) bad "calc $* -> message does not start with 'kvsim:': $first"; return ;;
    esac
    if ! printf '%s\n' "$first" | grep -q -- "$pat"; then bad "calc $* -> '$first' lacks '$pat'"; return; fi
    ok
}

# --- the published figures ---
json_check 'd["kv_bytes_per_token"] == 524288 and d["kv_cache_bytes"] == 2147483648 and d["context"] == 4096' \
    --model llama-2-7b
json_check 'd["params"] == 6738415616 and d["weights_bytes"] == 2 * 6738415616 and d["dtype"] == "fp16"' \
    --model llama-2-7b
json_check 'all(k in d for k in ["kv_bytes_per_token", "kv_cache_bytes", "weights_bytes",
    "flops_per_token_prefill", "flops_per_token_decode_cache", "flops_per_token_decode_nocache",
    "decode_bytes_moved", "arithmetic_intensity", "shape"]) and "max_batch_at_context" not in d' \
    --model llama-2-7b
json_check 'd["shape"] == dict(d["shape"], d_model=4096, n_layers=32, n_heads=32, n_kv_heads=32,
    d_ff=11008, ffn_matrices=3, vocab=32000, window=0)' --model llama-2-7b
json_check 'd["flops_per_token_decode_cache"] == 2 * 7680819200 and
    d["flops_per_token_decode_nocache"] == d["flops_prefill"] and
    d["flops_per_token_prefill"] == d["flops_prefill"] / 4096' --model llama-2-7b
json_check 'd["decode_bytes_moved"] == d["decode_weight_bytes_read"] + d["decode_kv_bytes_read"] + d["decode_kv_bytes_written"]
    and abs(d["arithmetic_intensity"] - d["decode_flops"] / d["decode_bytes_moved"]) < 1e-4
    and 0.99 < d["arithmetic_intensity"] < 1.01 and d["decode_bound"] == "memory" and d["prefill_bound"] == "compute"' \
    --model llama-2-7b
json_check 'd["kv_bytes_per_token"] == 819200 and d["kv_cache_bytes"] == 819200 * 2048 and
    round(d["kv_cache_bytes"] / 1e9, 1) == 1.7 and d["kv_bytes_per_token"] / 1024 == 800' --model opt-13b
json_check 'd["kv_cache_bytes"] == 17179869184 and round(d["kv_cache_bytes"] / 1e9, 1) == 17.2' \
    --model llama-2-7b --context 32768 --dtype bf16
json_check 'd["kv_cache_bytes"] == 4294967296 and round(d["kv_cache_bytes"] / 1e9, 1) == 4.3 and d["modified"]' \
    --model llama-2-7b --context 32768 --dtype bf16 --kv-heads 8
json_check 'd["kv_cache_bytes"] == 4294967296 and d["beyond_max_context"]' --model llama-3-8b --context 32768 --dtype bf16
json_check 'd["params"] == 124439808 and d["kv_bytes_per_token"] == 2 * 12 * 768 * 2' --model gpt2
json_check 'd["params"] == 8030261248' --model llama-3-8b
json_check 'd["params"] == 7241732096' --model mistral-7b
# OPT-125m through the OPT layout
json_check 'd["params"] == 125239296' --model opt-13b --d-model 768 --layers 12 --heads 12 --d-ff 3072

# --- window, batch, dtype, memory ---
json_check 'd["kv_positions"] == 4096 and d["kv_cache_bytes"] == 4096 * 131072' --model mistral-7b --context 32768
json_check 'd["kv_cache_bytes"] == 8 * 4096 * 131072' --model mistral-7b --context 32768 --window 0
json_check 'd["kv_cache_bytes"] == 4 * 2147483648 and d["decode_kv_bytes_written"] == 4 * 524288' \
    --model llama-2-7b --batch 4
json_check 'd["kv_bytes_per_token"] == 1048576 and d["bytes_per_number"] == 4' --model llama-2-7b --dtype fp32
json_check 'd["kv_bytes_per_token"] == 262144 and d["weights_bytes"] == 6738415616' --model llama-2-7b --dtype int8
json_check 'd["memory_bytes"] == 80 * 2**30 and d["max_batch_at_context"] == 33 and d["weights_fit"]' \
    --model llama-2-7b --memory 80GiB
json_check 'd["memory_bytes"] == 80 * 10**9 and d["max_batch_at_context"] == 30' --model llama-2-7b --memory 80GB
json_check 'd["max_context_at_batch"] is None' --model mistral-7b --memory 80GiB
json_check 'not d["weights_fit"] and d["max_batch_at_context"] == 0' --model opt-13b --dtype fp32 --memory 40GB
json_check 'd["machine_balance"] == 1000 and d["decode_bound"] == "memory"' --model gpt2 --balance 1000
json_check 'd["decode_batch_for_balance"] is not None' --model llama-3-8b --context 128 --dtype bf16

# --- the table ---
if "$K" calc --model llama-2-7b --memory 80GiB >"$out" 2>"$err" && [ ! -s "$err" ] &&
    grep -q "524,288 B" "$out" && grep -q "2,147,483,648 B" "$out" && grep -q "memory-bound" "$out" &&
    grep -q "6,738,415,616 parameters" "$out" && grep -q "33 sequences" "$out"; then
    ok; else bad "calc table for llama-2-7b"; fi
if "$K" calc --help >"$out" 2>"$err" && grep -q "Usage: kvsim calc" "$out" && [ ! -s "$err" ]; then
    ok; else bad "calc --help"; fi

# --- agreement with the counters kvsim trace measures ---
# For each decode step k >= 1 at t: macs.decode_cache of calc --context t;
# prefill (k = 0): macs.prefill at t = L; every recompute step: macs.decode_nocache;
# kv_cache_bytes in fp32.
agree() {
    if python3 -c '
import json, subprocess, sys
k, args = sys.argv[1], sys.argv[2:]
def run(*a):
    return json.loads(subprocess.run([k, *a], check=True, capture_output=True, text=True).stdout)
tr = run("trace", "--format", "json", "--mode", "both", *args)
c = tr["config"]
shape = ["--d-model", str(c["d_model"]), "--heads", str(c["n_heads"]), "--layers", str(c["n_layers"]),
         "--d-ff", str(c["d_ff"]), "--vocab", str(c["vocab"]), "--dtype", "fp32", "--format", "json"]
if "n_kv_heads" in c: shape += ["--kv-heads", str(c["n_kv_heads"])]
if c.get("window"): shape += ["--window", str(c["window"])]
bad = 0
for mode in ("cache", "recompute"):
    for st in tr["modes"][mode]["steps"]:
        d = run("calc", "--context", str(st["t"]), *shape)
        key = "decode_nocache" if mode == "recompute" else ("prefill" if st["phase"] == "prefill" else "decode_cache")
        want = {n: v for n, v in st["macs"].items()}
        got = d["macs"][key]
        if got != want:
            bad += 1; print("  step", st["step"], mode, "calc", got, "trace", want)
        if mode == "cache" and d["kv_cache_bytes"] != st["kv_cache_bytes"]:
            bad += 1; print("  step", st["step"], "kv bytes calc", d["kv_cache_bytes"], "trace", st["kv_cache_bytes"])
sys.exit(1 if bad else 0)' "$K" "$@"; then ok; else bad "calc vs trace: $*"; fi
}
agree
agree --prompt a --gen 6 --d-model 4 --heads 1 --layers 1
agree --prompt 'hello world' --gen 5 --d-model 16 --heads 4 --layers 3 --d-ff 7
# grouped-query and windowed runs, once the simulator has them
if "$K" trace --kv-heads 1 --window 4 --gen 2 >/dev/null 2>&1; then
    agree --prompt 'the cat' --gen 6 --d-model 8 --heads 4 --kv-heads 1
    agree --prompt 'the cat' --gen 6 --d-model 8 --heads 4 --kv-heads 2 --window 4
    agree --prompt 'the cat sat on' --gen 8 --d-model 8 --heads 2 --window 3
else
    echo "note: this kvsim trace has no --kv-heads/--window; GQA and window agreement not checked"
fi

# --- prefix sharing (spec 6.8): the shared prompt's full blocks reserved once ---
json_check 'd["shared_rows"] == 992 and d["shared_blocks"] == 62 and d["prefix_kv_bytes_unshared"] == 17179869184 and
    d["prefix_kv_bytes_shared"] == 13539213312 and d["prefix_kv_bytes_saved"] == 7 * 992 * 524288' \
    --model llama-2-7b --context 4096 --batch 8 --shared-prefix 1000
json_check 'd["block_size"] == 32 and d["shared_rows"] == 1472 and d["prefix_kv_bytes_saved"] == 31 * 46 * 32 * 131072' \
    --model llama-3-8b --context 2048 --batch 32 --shared-prefix 1500 --block-size 32 --dtype bf16
json_check 'd["shared_prefix"] == 0 and d["prefix_kv_bytes_saved"] == 0' --model gpt2
if "$K" calc --model llama-2-7b --batch 8 --shared-prefix 1000 >"$out" 2>"$err" && [ ! -s "$err" ] &&
    grep -q "^Prefix sharing" "$out" && grep -q "3,640,655,872 B" "$out" && grep -q "13,539,213,312 B" "$out" &&
    ! awk 'length > 80' "$out" | grep -q .; then
    ok; else bad "calc table: prefix sharing section for llama-2-7b"; fi
if "$K" calc --model llama-2-7b >"$out" && ! grep -q "^Prefix sharing" "$out"; then ok
else bad "calc without --shared-prefix prints a prefix sharing section"; fi

# The same bytes as the simulator's block pool, with and without a window:
# tests/calc_prefix_check.py runs kvsim trace (--prefix-cache and without)
# and kvsim calc on 186 small batches (W = 1, W < P, W < S, W > S, W >= T,
# no window) and compares the pool right after the prefills with calc.
if python3 tests/calc_prefix_check.py "$K"; then ok; else bad "calc --shared-prefix vs the pool of kvsim trace (tests/calc_prefix_check.py)"; fi
# under a window W < T (Mistral's 4096 at T = 8192): a 1,000-token prompt
# is not shared (sequence 0 no longer holds rows 0..991); the same prompt
# repeated is (s = T - 1), in the 256 blocks of 4096..8191
json_check 'd["first_kept_position"] == 4096 and d["shared_rows_matched"] == 992 and d["shared_rows"] == 0 and
    d["blocks_per_sequence"] == 256 and d["prefix_kv_bytes_saved"] == 0 and d["prefix_kv_bytes_shared"] == 4294967296' \
    --model mistral-7b --context 8192 --batch 8 --shared-prefix 1000
json_check 'd["shared_rows"] == 8191 and d["shared_blocks"] == 256 and d["prefix_kv_bytes_shared"] == 536870912 and
    d["prefix_kv_bytes_saved"] == 3758096384 and d["prefix_prefill_rows_saved"] == 7 * 8191' \
    --model mistral-7b --context 8192 --batch 8 --shared-prefix 8192
json_check 'd["first_kept_position"] == 0 and d["shared_rows_matched"] == d["shared_rows"] == 992' \
    --model llama-2-7b --batch 8 --shared-prefix 1000
for S in 1000 8192; do
    if "$K" calc --model mistral-7b --context 8192 --batch 8 --shared-prefix $S >"$out" 2>"$err" && [ ! -s "$err" ] &&
        grep -q "^  window W = 4,096 < T" "$out" && ! awk 'length > 80' "$out" | grep -q .; then
        ok; else bad "calc table: prefix sharing under a window, S = $S"; fi
done
if "$K" calc --model mistral-7b --context 8192 --batch 8 --shared-prefix 1000 >"$out" &&
    grep -q "none is shared" "$out" && grep -q "reads rows 0..991" "$out"; then ok
else bad "calc table: a prefix the window dropped says why it is not shared"; fi
if "$K" calc --model mistral-7b --context 8192 --batch 8 --shared-prefix 8192 --window 1 >"$out" &&
    grep -q "W = 1: row 8,191 reads no earlier row" "$out"; then ok
else bad "calc table: W = 1 says the rows are shared but no bytes"; fi

# --- bad input ---
expect_error "^kvsim: --shared-prefix 5000: longer than --context 4096" --model llama-2-7b --shared-prefix 5000
expect_error "^kvsim: --block-size: goes with --shared-prefix" --model llama-2-7b --block-size 8
expect_error "^kvsim: --shared-prefix 0: out of range" --model llama-2-7b --shared-prefix 0
expect_error "^kvsim: --block-size 0: out of range" --model llama-2-7b --shared-prefix 8 --block-size 0
expect_error "not a number" --model llama-2-7b --shared-prefix 1k
expect_error "overflow" --model llama-2-7b --context 1000000000000 --shared-prefix 5 --block-size 1
expect_error "out of range" --model gpt2 --context 0
expect_error "^kvsim: --context 0: out of range" --model llama-2-7b --context 0
expect_error "not a number" --model gpt2 --context abc
expect_error "not a number" --model gpt2 --context 12x
expect_error "not a number" --model gpt2 --batch ''
expect_error "out of range" --model gpt2 --batch 0
expect_error "out of range" --model gpt2 --context -5
expect_error "out of range" --model gpt2 --context 99999999999999999999
expect_error "out of range" --d-model 0 --layers 1 --heads 1 --d-ff 1 --vocab 1
expect_error "gpt2, llama-2-7b, llama-3-8b, mistral-7b, opt-13b" --model gpt-5
expect_error "must be divisible by heads" --d-model 10 --heads 3 --layers 1 --d-ff 4 --vocab 5
expect_error "must be divisible by kv-heads" --model llama-3-8b --kv-heads 3
expect_error "must be divisible by kv-heads" --d-model 8 --heads 4 --kv-heads 8 --layers 1 --d-ff 4 --vocab 5
expect_error "overflow" --model gpt2 --context 1000000000000
expect_error "overflow" --model gpt2 --batch 1000000000000 --context 100000
expect_error "overflow" --d-model 1000000000000 --heads 1 --layers 1 --d-ff 1 --vocab 1
expect_error "missing" --d-model 8 --heads 2
# The one list of calc fields (sim/calc.c, read by lessons' calc(NAME,
# FIELD)) names keys of the JSON, so the two cannot drift apart.
if "$K" calc --model llama-2-7b --format json >"$out" 2>"$err" && python3 -c '
import json, re, sys
src = open(sys.argv[2]).read()
body = re.search(r"calc_fields\[CF_COUNT\] = \{(.*?)\};", src, re.S).group(1)
names = re.findall(r"\"([a-z_]+)\"", body)
d = json.load(open(sys.argv[1]))
missing = [n for n in names if n not in d and n not in d["shape"]]
if len(names) < 30 or missing:
    print("  fields not in the JSON:", missing, "of", len(names)); sys.exit(1)' "$out" sim/calc.c; then ok; else bad "calc fields of sim/calc.c are keys of calc --format json"; fi

expect_error "give --model" --context 5
expect_error "fp32, fp16, bf16 or int8" --model gpt2 --dtype fp8
expect_error "table or json" --model gpt2 --format xml
expect_error "memory" --model gpt2 --memory 80XB
expect_error "memory" --model gpt2 --memory 0GB
expect_error "out of range" --model gpt2 --balance 0
expect_error "not a number" --model gpt2 --balance fast
expect_error "ffn-matrices" --model gpt2 --ffn-matrices 4
expect_error "yes or no" --model gpt2 --tied-embeddings maybe
expect_error "unknown option" --model gpt2 --bogus
expect_error "unexpected argument" --model gpt2 extra
expect_error "missing value" --model gpt2 --context

echo "calc: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
