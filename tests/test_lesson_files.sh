#!/bin/sh
# test_lesson_files.sh [KVSIM] — lesson files and the progress file in the
# real binary, without a terminal: every broken lesson in tests/lesson_bad
# through each command that reads a lesson; files that are not regular
# files; the progress file's path, locking, merging and failures.
set -u
K=${1:-build/kvsim}
case "$K" in /*) ;; *) K="$(pwd)/$K" ;; esac
pass=0
fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
err=$tmp/err

# --- broken lessons: 'path:line: message', exit 2, never a crash ---------------------
# frames --lesson and lesson check refuse every file; lesson FILE --print
# refuses the ones whose slides cannot be printed (a tolerance lint is not
# one of them) and never crashes.
for f in tests/lesson_bad/*.lesson; do
    for cmd in "frames --lesson" "lesson check" "print"; do
        case $cmd in
            print) "$K" lesson "$f" --print >"$out" 2>"$err"; rc=$? ;;
            *) "$K" $cmd "$f" >"$out" 2>"$err"; rc=$? ;;
        esac
        first=$(head -n 1 "$err")
        if [ "$cmd" = print ] && [ "$rc" -eq 0 ] && [ ! -s "$err" ]; then ok; continue; fi
        if [ "$rc" -ne 2 ]; then bad "$cmd $f -> exit $rc: $first"; continue; fi
        if [ -s "$out" ]; then bad "$cmd $f wrote to stdout"; continue; fi
        if echo "$first" | grep -Eq "^(kvsim: )?$f:[0-9]+: [^ ]"; then ok
        else bad "$cmd $f -> '$first' is not 'path:line: message'"; fi
    done
done

echo "lesson files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
