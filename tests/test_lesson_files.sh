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

# --- not a regular file: refused at once with one line, never a blocked read ---------
# (a FIFO with no writer would block a plain open/read forever; timeout turns
# that into a failure instead of a hung suite)
mkfifo "$tmp/f.lesson"
for cmd in "lesson check" "lesson --print" "frames --lesson"; do
    case $cmd in
        "lesson --print") timeout 10 "$K" lesson "$tmp/f.lesson" --print >"$out" 2>"$err"; rc=$? ;;
        *) timeout 10 "$K" $cmd "$tmp/f.lesson" >"$out" 2>"$err"; rc=$? ;;
    esac
    if [ "$rc" -eq 2 ] && grep -q "f.lesson: is a FIFO, not a regular file" "$err" && [ ! -s "$out" ]; then ok
    else bad "$cmd on a FIFO -> exit $rc: $(head -n 1 "$err")"; fi
done
timeout 10 "$K" lesson check "$tmp" >"$out" 2>"$err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "is a directory, not a regular file" "$err" && ok || bad "lesson check DIR -> $rc $(cat "$err")"
timeout 10 "$K" lesson check /dev/null >"$out" 2>"$err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "is a device, not a regular file" "$err" && ok || bad "lesson check /dev/null -> $rc $(cat "$err")"
# a FIFO among the shipped lessons: the list skips it, lesson 2 still opens
mkdir -p "$tmp/dir/en"
cp lessons/en/02-*.lesson "$tmp/dir/en/"
mkfifo "$tmp/dir/en/01-fifo.lesson"
XDG_STATE_HOME=$tmp/state KVSIM_LESSON_DIR=$tmp/dir timeout 10 "$K" lesson >"$out" 2>"$err"; rc=$?
[ "$rc" -eq 0 ] && grep -q "The causal mask" "$out" && ok || bad "list with a FIFO in KVSIM_LESSON_DIR -> exit $rc"
KVSIM_LESSON_DIR=$tmp/dir timeout 10 "$K" lesson 2 --print >"$out" 2>"$err"; rc=$?
[ "$rc" -eq 0 ] && grep -q "^A: 15$" "$out" && ok || bad "lesson 2 with a FIFO in KVSIM_LESSON_DIR -> exit $rc"

echo "lesson files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
