#!/bin/sh
# test_bench.sh [KVSIM] — `kvsim bench` runs and reports what it should.
# No timed assertions: the numbers are checked for shape and consistency,
# never against a speed. The MAC counts and the predicted speed-up are
# checked exactly against `kvsim trace --format json` of the same run.
set -u
K=${1:-build/kvsim}
pass=0
fail=0
j=$(mktemp)
tr=$(mktemp)
t=$(mktemp)
e=$(mktemp)
trap 'rm -f "$j" "$tr" "$t" "$e"' EXIT

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

# 1. the quick JSON run: keys, types, sane values
if "$K" bench --quick --format json --runs 1 >"$j" 2>"$e"; then
    ok "bench --quick --format json --runs 1 exits 0"
else
    bad "bench --quick --format json --runs 1 exits 0 ($(head -n 1 "$e"))"
fi
if python3 - "$j" <<'EOF'
import json, math, sys
doc = json.load(open(sys.argv[1]))
assert doc["threads"] == 1 and doc["counters"] is True
shapes = doc["shapes"]
assert [s["shape"] for s in shapes] == ["tiny"], shapes
s = shapes[0]
need = ["tokens_per_s_cache", "tokens_per_s_recompute", "speedup_measured",
        "speedup_predicted", "gflops_cache", "gflops_recompute", "seconds_cache",
        "seconds_recompute", "macs_cache", "macs_recompute", "runs_cache", "runs_recompute",
        "T", "prompt_len", "generated", "same_tokens"]
for k in need:
    assert k in s, "missing key " + k
for k in need[:8]:
    v = s[k]
    assert isinstance(v, (int, float)) and math.isfinite(v) and v > 0, (k, v)
assert (s["d_model"], s["n_heads"], s["n_layers"], s["d_ff"], s["T"]) == (8, 2, 2, 32, 64)
assert s["prompt_len"] == 1 and s["generated"] == 63
assert s["runs_cache"] == 1 and s["runs_recompute"] == 1
assert s["same_tokens"] is True
# derived numbers agree with the raw ones
assert abs(s["tokens_per_s_cache"] * s["seconds_cache"] - 63) < 1e-6 * 63
assert abs(s["speedup_measured"] - s["tokens_per_s_cache"] / s["tokens_per_s_recompute"]) <= 1e-8 * s["speedup_measured"]
assert abs(s["gflops_cache"] - 2 * s["macs_cache"] / s["seconds_cache"] / 1e9) <= 1e-8 * s["gflops_cache"]
ui = doc["ui_frames"]
assert [(z["width"], z["height"]) for z in ui["sizes"]] == [(80, 24), (120, 40), (200, 60)]
for z in ui["sizes"]:
    assert z["frames"] > 0 and 0 < z["median_ms"] <= z["p95_ms"] <= z["max_ms"], z
    assert isinstance(z["within_budget"], bool)
assert ui["budget_ms"] == 5.0
EOF
then ok "JSON keys and values"; else bad "JSON keys and values"; fi

# 1b. the machine and the roofline numbers: present, positive, consistent
#     with the raw ones (read bytes from the traffic counters, as trace)
if "$K" trace --format json --mode both --d-model 8 --prompt t --gen 63 >"$tr" && python3 - "$j" "$tr" <<'EOF'
import json, math, sys
doc = json.load(open(sys.argv[1]))
tr = json.load(open(sys.argv[2]))
for k in ["peak_gflops", "read_bandwidth_gbs", "read_bandwidth_dram_gbs", "llc_bytes", "dram_sweep_bytes"]:
    assert isinstance(doc[k], (int, float)) and math.isfinite(doc[k]) and doc[k] > 0, (k, doc[k])
assert doc["kernel_variant"] in ("AVX2", "portable C")
# the machine's load when bench started: a number (null where /proc/loadavg is missing)
assert doc["load_average_1m"] is None or (isinstance(doc["load_average_1m"], (int, float)) and doc["load_average_1m"] >= 0)
assert isinstance(doc["cpus"], int) and doc["cpus"] >= 0
# other work during the timed runs: CPUs' worth, or null (runs too short for /proc/stat's ticks)
for m in ("cache", "recompute"):
    v = doc["shapes"][0]["others_busy_" + m]
    assert v is None or (isinstance(v, (int, float)) and 0 <= v <= doc["cpus"] + 0.5), (m, v)
# where a cached step's time goes: one entry per operation of cache mode
ops = doc["shapes"][0]["op_us_per_token_cache"]
assert list(ops) == ["embed", "ln1", "qkv", "scores", "mask", "softmax", "values", "out_proj",
                     "ln2", "ffn", "ln_final", "logits", "pick", "append"], list(ops)
assert all(isinstance(v, (int, float)) and v >= 0 for v in ops.values()), ops
assert ops["qkv"] > 0 and ops["ffn"] > 0 and doc["shapes"][0]["op_clock_us"] >= 0
assert doc["dram_sweep_bytes"] == 4 * doc["llc_bytes"]
s = doc["shapes"][0]
assert doc["read_bandwidth_gbs"] == s["read_bandwidth_gbs"]
for m in ("cache", "recompute"):
    tot = tr["modes"][m]["totals"]
    read = tot["weight_bytes_read"] + tot["kv_bytes_read"]
    assert s["read_bytes_" + m] == read, (m, s["read_bytes_" + m], read)
    gbs = read / s["seconds_" + m] / 1e9
    assert abs(s["gbs_" + m] - gbs) <= 1e-8 * gbs
    unpaired = "bandwidth_fraction_cache_unpaired" if m == "cache" else "bandwidth_fraction_" + m
    assert abs(s[unpaired] - gbs / s["read_bandwidth_gbs"]) <= 1e-8 * gbs
    best = read / s["seconds_%s_min" % m] / 1e9 / s["read_bandwidth_gbs"]
    assert abs(s["bandwidth_fraction_%s_best" % m] - best) <= 1e-8 * best
    assert abs(s["compute_fraction_" + m] - s["gflops_" + m] / doc["peak_gflops"]) <= 1e-8 * s["gflops_" + m]
    assert abs(s["intensity_" + m] - 2 * s["macs_" + m] / read) <= 1e-9 * s["intensity_" + m]
# cache's fraction is paired: each run's GB/s over the sweep just before it,
# the median of those ratios (runs in run order; the median run is seconds_cache)
secs, sweeps = s["runs_cache_seconds"], s["runs_cache_sweep_gbs"]
assert len(secs) == len(sweeps) == s["runs_cache"] and all(g > 0 for g in sweeps), (secs, sweeps)
def median(v):
    v = sorted(v); n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])
assert abs(median(secs) - s["seconds_cache"]) <= 1e-12
ratios = [s["read_bytes_cache"] / t / 1e9 / g for t, g in zip(secs, sweeps)]
assert abs(s["bandwidth_fraction_cache"] - median(ratios)) <= 1e-9 * median(ratios), (s["bandwidth_fraction_cache"], ratios)
assert abs(s["read_bandwidth_paired_gbs"] - median(sweeps)) <= 1e-9 * median(sweeps)
# the sweep buffer: the weight bytes of one decode step, from the counters
last = tr["modes"]["cache"]["steps"][-1]
assert s["sweep_bytes"] == last["weight_bytes_read"], (s["sweep_bytes"], last)
assert s["decode_step_read_bytes"] == last["weight_bytes_read"] + last["kv_bytes_read"]
EOF
then ok "machine and roofline keys agree with the counters"; else bad "machine and roofline keys agree with the counters"; fi

# 2. the predicted speed-up is recompute MACs / cache MACs of the same run
#    as kvsim trace measures it (the tiny shape = the seeded random model
#    at its default shape, --d-model 8; 1-token prompt, G = 63)
if "$K" trace --format json --mode both --d-model 8 --prompt t --gen 63 >"$tr" && python3 - "$j" "$tr" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["shapes"][0]
tr = json.load(open(sys.argv[2]))
c = tr["modes"]["cache"]["totals"]["macs"]["total"]
r = tr["modes"]["recompute"]["totals"]["macs"]["total"]
assert s["macs_cache"] == c, (s["macs_cache"], c)
assert s["macs_recompute"] == r, (s["macs_recompute"], r)
assert abs(s["speedup_predicted"] - r / c) <= 1e-9 * (r / c), (s["speedup_predicted"], r / c)
EOF
then ok "speedup_predicted = recompute / cache total MACs of kvsim trace"
else bad "speedup_predicted = recompute / cache total MACs of kvsim trace"; fi

# 3. the table: one shape, both modes, the speed-up line and the UI sizes
if "$K" bench --quick --runs 1 >"$t" 2>"$e" &&
    grep -q '^tiny .* cache ' "$t" && grep -q ' recompute ' "$t" &&
    grep -q 'speed-up: measured [0-9.]*x, predicted [0-9.]*x' "$t" &&
    grep -q 'same tokens in both modes: yes' "$t" &&
    grep -q '^  80x24 ' "$t" && grep -q '^ 200x60 ' "$t"; then
    ok "table output"
else
    bad "table output"
fi
if "$K" bench --shape tiny --no-ui --format json --runs 2 >"$j" &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "ui_frames" not in d and d["shapes"][0]["runs_cache"]==2' "$j"; then
    ok "--shape tiny --no-ui --runs 2"
else
    bad "--shape tiny --no-ui --runs 2"
fi
if "$K" bench --help | grep -q -- '--recompute-runs'; then ok "--help"; else bad "--help"; fi

# 3b. one CPU for every measurement: the probe's choice is its fastest CPU,
#     or the one --cpu names (Linux; elsewhere "cpu" is null)
"$K" bench --quick --no-ui --format json --runs 1 >"$j" 2>"$e"
if python3 - "$j" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
if d["cpu"] is None:
    assert d["cpu_chosen_by"] is None and d["cpu_probe_gbs"] == {}
else:
    assert d["cpu_chosen_by"] == "probe" and d["cpu_probe_bytes"] == 16 << 20
    probe = {int(c): g for c, g in d["cpu_probe_gbs"].items()}
    assert d["cpu"] in probe and all(g > 0 for g in probe.values()), probe
    assert probe[d["cpu"]] == max(probe.values()), probe
EOF
then ok "the probe pins to its fastest CPU"; else bad "the probe pins to its fastest CPU"; fi
cpu0=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
if "$K" bench --quick --no-ui --format json --runs 1 --cpu "$cpu0" >"$j" 2>"$e" &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["cpu"] in (None, int(sys.argv[2])); assert d["cpu"] is None or (d["cpu_chosen_by"] == "option" and d["cpu_probe_gbs"] == {})' "$j" "$cpu0" &&
    "$K" bench --quick --no-ui --runs 1 --cpu "$cpu0" | grep -q "every measurement on CPU $cpu0 (--cpu)"; then
    ok "--cpu $cpu0"
else
    bad "--cpu $cpu0 ($(head -n 1 "$e"))"
fi
if "$K" bench --quick --no-ui --runs 1 | grep -q 'every measurement on CPU [0-9]*: its 16 MiB read sweep was the fastest (CPU '; then
    ok "table: the CPU line"
else
    bad "table: the CPU line"
fi

# 4. bad input: exit 2, one message, nothing on stdout
for args in "--runs 0" "--runs x" "--runs 102" "--runs" "--recompute-runs -1" \
    "--format csv" "--shape huge" "--bogus" "extra" "--cpu -1" "--cpu 64" "--cpu x"; do
    # shellcheck disable=SC2086
    "$K" bench $args >"$t" 2>"$e"
    rc=$?
    if [ "$rc" -eq 2 ] && [ ! -s "$t" ] && head -n 1 "$e" | grep -q '^kvsim: '; then
        ok "bench $args: exit 2 with a message"
    else
        bad "bench $args: exit $rc, stderr: $(head -n 1 "$e")"
    fi
done

# a CPU this process may not run on: named, with the ones it may
nope=$(python3 -c 'import os; s = os.sched_getaffinity(0); print(next(c for c in range(64) if c not in s))' 2>/dev/null)
if [ -n "$nope" ]; then
    "$K" bench --quick --cpu "$nope" >"$t" 2>"$e"
    rc=$?
    if [ "$rc" -eq 2 ] && [ ! -s "$t" ] && [ "$(wc -l <"$e")" -eq 1 ] &&
        grep -q "^kvsim: --cpu $nope: not a CPU this process may run on ([0-9,-]*); see 'kvsim bench --help'\$" "$e"; then
        ok "--cpu $nope: exit 2 with a message"
    else
        bad "--cpu $nope: exit $rc, stderr: $(head -n 1 "$e")"
    fi
fi

# 5. --save-machine: the machine file (ui/machine_file.h) holds what the JSON
#    says, the memory view's roofline draws it, and a path that cannot be
#    written is bad input, found before anything is measured
d=$(mktemp -d)
trap 'rm -f "$j" "$tr" "$t" "$e"; rm -rf "$d"' EXIT
if "$K" bench --quick --no-ui --format json --runs 1 --save-machine="$d/m" >"$j" 2>"$e" && [ ! -s "$e" ] &&
    python3 - "$j" "$d/m" "$("$K" --version)" <<'EOF'
import json, sys, datetime
doc = json.load(open(sys.argv[1]))
kv = {}
for line in open(sys.argv[2]):
    if line.strip() and not line.startswith("#"):
        k, v = line.rstrip("\n").split(": ", 1)
        kv[k] = v
assert kv["format"] == "kvsim-machine 1", kv
# the file keeps two decimals of the JSON's numbers
assert abs(float(kv["read_bandwidth_gbs"]) - doc["read_bandwidth_gbs"]) <= 0.0051, (kv, doc["read_bandwidth_gbs"])
assert abs(float(kv["peak_gflops"]) - doc["peak_gflops"]) <= 0.0051, (kv, doc["peak_gflops"])
assert int(kv["sweep_bytes"]) == doc["read_bandwidth_sweep_bytes"] and kv["sweep_shape"] == "tiny", kv
assert (doc["cpu"] is None and "cpu" not in kv) or int(kv["cpu"]) == doc["cpu"], kv
assert kv["date"][:10] == datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"), kv
assert "kvsim " + kv["kvsim"] == sys.argv[3] and kv["kernels"] == doc["kernel_variant"], kv
assert kv["cpu_model"], kv
assert doc["machine_file"] == sys.argv[2], doc["machine_file"]
EOF
then ok "--save-machine=FILE: the file holds the JSON's read_bandwidth_gbs and peak_gflops"
else bad "--save-machine=FILE ($(head -n 1 "$e"))"; fi
if KVSIM_MACHINE_FILE="$d/m" "$K" frames --mode memory --size 160x50 --keys NN 2>&1 |
    grep -q "measured by kvsim bench on $(date -u +%Y-%m-%d)"; then
    ok "the memory view's roofline draws the saved machine"
else
    bad "the memory view's roofline draws the saved machine"
fi
# the default path: $XDG_CONFIG_HOME/kvsim/machine, its directory made; the table says so
if env -u KVSIM_MACHINE_FILE XDG_CONFIG_HOME="$d/cfg" "$K" bench --quick --no-ui --runs 1 --save-machine >"$t" 2>"$e" &&
    grep -q "^machine saved to $d/cfg/kvsim/machine: " "$t" && grep -q '^read_bandwidth_gbs: ' "$d/cfg/kvsim/machine"; then
    ok "--save-machine: \$XDG_CONFIG_HOME/kvsim/machine"
else
    bad "--save-machine: \$XDG_CONFIG_HOME/kvsim/machine ($(head -n 1 "$e"))"
fi
# opt-in: without the option nothing is written, and the JSON says null
mkdir -p "$d/home"
if env -u KVSIM_MACHINE_FILE XDG_CONFIG_HOME="$d/cfg2" HOME="$d/home" "$K" bench --quick --no-ui --format json --runs 1 >"$j" &&
    [ ! -e "$d/cfg2" ] && [ -z "$(ls -A "$d/home")" ] &&
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["machine_file"] is None' "$j"; then
    ok "no --save-machine: nothing saved"
else
    bad "no --save-machine: nothing saved"
fi
: >"$d/file"
# each: the arguments, then what the one line says
while IFS='|' read -r args why; do
    # shellcheck disable=SC2086
    "$K" bench --quick --no-ui --runs 1 $args >"$t" 2>"$e"
    rc=$?
    if [ "$rc" -eq 2 ] && [ ! -s "$t" ] && [ "$(wc -l <"$e")" -eq 1 ] &&
        grep -q "^kvsim: .*$why.*; see 'kvsim bench --help'\$" "$e"; then
        ok "bench $args: exit 2, one line"
    else
        bad "bench $args: exit $rc, stderr: $(head -n 2 "$e")"
    fi
done <<LIST
--save-machine=$d/no-such-dir/m|cannot use the directory $d/no-such-dir (No such file or directory)
--save-machine=$d|$d exists and is not a regular file
--save-machine=$d/file/m|$d/file is not a directory
--save-machine=|the file name is empty
--save-machine $d/m2|a file for --save-machine goes after '=': --save-machine=$d/m2
--save-machine=$d/|$d/ is a directory; expected a file name
LIST
KVSIM_MACHINE_FILE= "$K" bench --quick --no-ui --runs 1 --save-machine >"$t" 2>"$e"
rc=$?
if [ "$rc" -eq 2 ] && [ ! -s "$t" ] && grep -q "^kvsim: --save-machine: KVSIM_MACHINE_FILE is set and empty" "$e"; then
    ok "KVSIM_MACHINE_FILE empty: --save-machine has nowhere to go, exit 2"
else
    bad "KVSIM_MACHINE_FILE empty: exit $rc, stderr: $(head -n 1 "$e")"
fi

echo "bench: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
