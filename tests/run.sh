#!/bin/sh
# run.sh — run every test of kvsim and print one closing line.
#   1. each cmocka suite (build/tests/test_*)
#   2. each end-to-end script (tests/e2e_*.sh, tests/test_*.sh) against build/kvsim
#   3. the cmocka suites and the CLI script again under ASan + UBSan
# Under CI=true a suite that ran no test (a skipped one, "0 passed, 0
# failed") is a failure: CI must not pass on a test that never ran.
#   run.sh --only SCRIPT...   only these scripts (tests/test_help.sh uses it)
# Suites print cmocka's own lines; the last line is the total, in cmocka's
# format, and the exit status is non-zero when anything failed.
set -u
cd "$(dirname "$0")/.." || exit 2
# the reference roofline in every screen: not KVSIM_MACHINE, not a machine
# that `kvsim bench --save-machine` saved (set and empty: no machine file)
unset KVSIM_MACHINE
KVSIM_MACHINE_FILE=
export KVSIM_MACHINE_FILE
passed=0
failed=0
failed_names=""

# count "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s), listed below:"
run_suite() {
    name=$1; shift
    log=$(mktemp)
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | head -n 1)
    rm -f "$log"
    passed=$((passed + ${p:-0}))
    if [ "${CI:-}" = true ] && [ "${p:-0}" -eq 0 ] && [ -z "$f" ] && [ "$rc" -eq 0 ]; then
        echo "FAIL: $name ran no test, and CI=true"
        failed=$((failed + 1))
        failed_names="$failed_names $name"
    elif [ "$rc" -ne 0 ] || [ -n "$f" ]; then
        failed=$((failed + ${f:-1}))
        failed_names="$failed_names $name"
    fi
}

# scripts end with "NAME: N passed, M failed"
run_script() {
    name=$1; shift
    log=$(mktemp)
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    p=$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
    f=$(echo "$line" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')
    rm -f "$log"
    passed=$((passed + ${p:-0}))
    if [ "${CI:-}" = true ] && [ "${p:-0}" -eq 0 ] && [ "$rc" -eq 0 ] && [ "${f:-1}" -eq 0 ]; then
        echo "FAIL: $name ran no test (skipped), and CI=true"
        failed=$((failed + 1))
        failed_names="$failed_names $name"
    elif [ "$rc" -ne 0 ] || [ "${f:-1}" -ne 0 ]; then
        failed=$((failed + ${f:-1}))
        [ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
        failed_names="$failed_names $name"
    fi
}

# the closing lines (one place: --only uses it too)
finish() {
    echo
    if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
        echo "All suites: $passed passed, 0 failed"
        echo "[  PASSED  ] $passed test(s)."
        exit 0
    fi
    echo "Failed:$failed_names"
    echo "All suites: $passed passed, $failed failed"
    echo "[  FAILED  ] $failed test(s)."
    exit 1
}

if [ "${1:-}" = --only ]; then
    shift
    for s in "$@"; do
        echo "== $s"
        run_script "$s" sh "$s" build/kvsim
    done
    finish
fi

for t in build/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $t"
    run_suite "$t" "$t"
done
for s in tests/test_*.sh tests/e2e_*.sh; do
    [ -f "$s" ] || continue
    [ "$s" = tests/e2e_lib.sh ] && continue   # sourced by the others, not a suite
    echo "== $s"
    run_script "$s" sh "$s" build/kvsim
done
echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $t"
    run_suite "$t" "$t"
done
# the real binary's scripts again, on the sanitizer build: bad input and
# the end-to-end runs in tmux (any ASan/UBSan report aborts the program)
for s in tests/test_cli.sh tests/test_lesson_files.sh tests/e2e_ui.sh tests/e2e_lesson.sh tests/e2e_terminal.sh; do
    [ -f "$s" ] || continue
    echo "== $s (asan binary)"
    run_script "asan:$s" sh "$s" build/asan/kvsim
done

# the plain build once under valgrind: leaks and invalid accesses that the
# sanitizer build might not show (ncurses is released with endwin + delscreen)
if command -v valgrind >/dev/null 2>&1; then
    echo "== valgrind"
    vg_pass=0
    vg_fail=0
    for cmd in "build/kvsim trace --gen 4" "build/kvsim frames --keys NN?n --size 100x30" \
               "build/kvsim frames --lesson 2 --keys .a15" "build/kvsim lesson 5 --print" \
               "build/kvsim calc --model llama-2-7b" "build/kvsim trace --window 3 --kv-heads 1 --block-size 2 --prompt ab --prompt cde" \
               "build/tests/test_app"; do
        if valgrind -q --leak-check=full --error-exitcode=1 $cmd >/dev/null 2>/tmp/kvsim-vg.$$; then
            vg_pass=$((vg_pass + 1))
        else
            vg_fail=$((vg_fail + 1)); echo "valgrind FAIL: $cmd"; head -30 /tmp/kvsim-vg.$$
        fi
    done
    rm -f /tmp/kvsim-vg.$$
    echo "valgrind: $vg_pass passed, $vg_fail failed"
    passed=$((passed + vg_pass))
    if [ "$vg_fail" -ne 0 ]; then failed=$((failed + vg_fail)); failed_names="$failed_names valgrind"; fi
fi

finish
