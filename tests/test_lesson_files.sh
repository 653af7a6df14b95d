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

# --- a lesson sets up its own model ---------------------------------------------------
# --model would swap the alphabet under the lesson (V, and every answer that
# counts the output head): refused with one line; lesson 1's head answer is
# d·V of the shipped trained model it names (weights=trained: 32 · 227),
# whatever --model would have said.
"$K" --model models/default.kvsim lesson 1 --print >"$out" 2>"$err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "a lesson sets up its own model" "$err" && [ ! -s "$out" ] && ok \
    || bad "lesson --model -> exit $rc: $(head -n 1 "$err")"
"$K" frames --lesson 1 --model models/default.kvsim >"$out" 2>"$err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "a lesson sets up its own model" "$err" && ok || bad "frames --lesson --model -> exit $rc"
"$K" lesson 1 --print >"$out" 2>"$err"; rc=$?
[ "$rc" -eq 0 ] && grep -q "^A: 7264$" "$out" && ok || bad "lesson 1's head answer is not 32·227: $(grep '^A:' "$out" | tr '\n' ' ')"

# --- the progress file, as 'kvsim lesson' lists it -----------------------------------
st=$tmp/st
mkdir -p "$st/kvsim"
# a junk row, 300 rows of other lessons, then lesson 2's row: the list
# shows lesson 2's progress (rows past the 255th used to be dropped), never
# the junk, and reports the invalid line on stderr
echo "anatomy en 1215752191 -5 0 0 0" >"$st/kvsim/progress"
i=0
while [ $i -lt 300 ]; do echo "other-$i en 1 5 0 3 0"; i=$((i + 1)); done >>"$st/kvsim/progress"
echo "causal-mask en 2 5 1 3 1" >>"$st/kvsim/progress"
XDG_STATE_HOME=$st "$K" lesson >"$out" 2>"$err"; rc=$?
[ $rc -eq 0 ] && grep "The causal mask" "$out" | grep -q "slide 2/5, 1/3 answered" && ok \
    || bad "row 301 of the progress file not shown: $(grep 'causal mask' "$out")"
grep -q "1215752191" "$out" && bad "junk progress shown: $(grep 1215752191 "$out")" || ok
grep -q "progress: ignored 1 invalid line (the first is line 1)" "$err" && ok || bad "invalid row not reported: $(cat "$err")"
# larger than the cap: one message, the list still shown
head -c 2000000 /dev/zero | tr '\0' '\n' >"$st/kvsim/progress"
XDG_STATE_HOME=$st timeout 10 "$K" lesson >"$out" 2>"$err"; rc=$?
[ $rc -eq 0 ] && grep -q "The causal mask" "$out" && grep -q "2000000 bytes, larger than the 1 MiB limit" "$err" && ok \
    || bad "oversized progress file -> exit $rc: $(cat "$err")"
# a save cannot succeed: the list says so instead of "Progress is kept in"
echo x >"$tmp/plain"
XDG_STATE_HOME=$tmp/plain "$K" lesson >"$out" 2>"$err"; rc=$?
[ $rc -eq 0 ] && grep -q "^Progress cannot be saved: $tmp/plain.*[Nn]ot a directory" "$out" && ! grep -q "Progress is kept" "$out" && ok \
    || bad "unwritable state dir -> exit $rc: $(tail -n 1 "$out")"
# a 1,096-byte XDG_STATE_HOME is used whole, never cut
long=$tmp
while [ ${#long} -lt 1000 ]; do long=$long/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd; done
long=$long/$(printf '%*s' $((1096 - ${#long} - 1)) '' | tr ' ' e)
mkdir -p "$long"
[ ${#long} -eq 1096 ] && ok || bad "test set-up: long path is ${#long} bytes"
XDG_STATE_HOME=$long "$K" lesson >"$out" 2>"$err"; rc=$?
[ $rc -eq 0 ] && grep -qxF "Progress is kept in $long/kvsim/progress" "$out" && ok \
    || bad "long XDG_STATE_HOME -> exit $rc, path cut: $(tail -n 1 "$out" | tail -c 40)"
huge=/$(printf '%*s' 4200 '' | tr ' ' x)
XDG_STATE_HOME=$huge "$K" lesson >"$out" 2>"$err"; rc=$?
[ $rc -eq 0 ] && grep -q "XDG_STATE_HOME is 4201 bytes long" "$err" && ok || bad "huge XDG_STATE_HOME -> exit $rc: $(cat "$err" | cut -c1-100)"

echo "lesson files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
