#!/bin/sh
# test_fuzz_smoke.sh [KVSIM] — a short libFuzzer run of each fuzz target
# (tests/fuzz/: tokenizer, cli, lesson, eval, modelfile) over its seed corpus; any crash,
# sanitizer report, leak or timeout fails. KVSIM is ignored.
#
# Needs clang with libFuzzer (Debian: clang + libclang-rt-NN-dev). Without
# it the test is skipped ("fuzz: 0 passed, 0 failed"), unless CI=true, where
# a missing fuzzer counts as a failure. Each run is deterministic (fixed
# -seed, a fixed number of -runs, capped at FUZZ_SMOKE_SECONDS = 5 s), so
# this test does not flake; `make fuzz` is the long, randomised run.
set -u
cd "$(dirname "$0")/.." || exit 2

FUZZ_CC=${FUZZ_CC:-clang}
SECONDS_EACH=${FUZZ_SMOKE_SECONDS:-5}
SEED=${FUZZ_SMOKE_SEED:-1}
TARGETS="tokenizer cli lesson eval modelfile"
pass=0
fail=0

finish() {
    echo "fuzz: $pass passed, $fail failed"
    [ "$fail" -eq 0 ] || exit 1
    exit 0
}

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# --- is libFuzzer there? ---------------------------------------------------
cat >"$tmp/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
EOF
if ! command -v "$FUZZ_CC" >/dev/null 2>&1 ||
   ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: $FUZZ_CC with libFuzzer (-fsanitize=fuzzer) is not available, and CI=true"
        fail=1
    else
        echo "note: $FUZZ_CC with libFuzzer is not available; fuzz smoke test skipped"
        echo "      (install clang and libclang-rt-dev, or set FUZZ_CC)"
    fi
    finish
fi

# --- build (the rules are in tests/fuzz/fuzz.mk) ---------------------------
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
if ! MAKEFLAGS='' MFLAGS='' make -s -f Makefile -j"$jobs" FUZZ_CC="$FUZZ_CC" fuzz-build \
        >"$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log"
    echo "FAIL: make fuzz-build"
    fail=$((fail + 1))
    finish
fi

# --- run each target briefly -----------------------------------------------
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in $TARGETS; do
    bin=build/fuzz/fuzz_$t
    seeds=tests/fuzz/corpus/$t
    # inputs per target: about 2 s each on a 2-vCPU machine
    case $t in
        lesson) maxlen=65536 runs=800 ;;
        eval) maxlen=8192 runs=20000 ;;
        modelfile) maxlen=16384 runs=20000 ;;
        *) maxlen=4096 runs=80000 ;;
    esac
    if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
        echo "FAIL: fuzz_$t: $bin or $seeds missing"
        fail=$((fail + 1))
        continue
    fi
    arts=build/fuzz/artifacts/$t
    set --
    [ -f "tests/fuzz/$t.dict" ] && set -- "-dict=tests/fuzz/$t.dict"
    mkdir -p "$tmp/corpus-$t" "$arts"
    # new inputs go to the scratch corpus (first dir); the seeds stay as they are
    "$bin" -seed="$SEED" -runs="$runs" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$maxlen" -artifact_prefix="$arts/" -print_final_stats=1 "$@" \
        "$tmp/corpus-$t" "$seeds" >"$tmp/$t.log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$tmp/$t.log" | tail -n 1)
        echo "ok: fuzz_$t ${stats:-}"
        pass=$((pass + 1))
    else
        grep -E 'ERROR|SUMMARY|invariant failed|#[0-9]+ 0x|Test unit written|Base64' "$tmp/$t.log" |
            head -n 40
        echo "FAIL: fuzz_$t exited $rc; reproduce with: $bin $arts/<crash-|leak-|timeout-file>"
        fail=$((fail + 1))
    fi
done
finish
