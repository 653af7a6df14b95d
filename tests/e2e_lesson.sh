#!/bin/sh
# e2e_lesson.sh [KVSIM] — a lesson in the real binary, driven in tmux: open
# lesson 2, turn slides, answer one question wrongly and one rightly, see
# the feedback, quit; then the list shows the progress. Also the lesson
# commands that need no terminal: --print, check.
set -u
E2E=lesson
. "$(dirname "$0")/e2e_lib.sh"
state=$(mktemp -d)
E2E_CLEANUP='rm -rf "$state"'
new_server

# --- without a terminal ------------------------------------------------------------
XDG_STATE_HOME=$state "$K" lesson | grep -q "The causal mask" && ok || bad "lesson list"
XDG_STATE_HOME=$state "$K" lesson --lang zh | grep -q "因果掩码" && ok || bad "lesson list zh"
out=$("$K" lesson 2 --print)
echo "$out" | grep -q "^Q: How many (query, key) cells" && ok || bad "--print Q line"
echo "$out" | grep -q "^A: 15$" && ok || bad "--print A line"
"$K" lesson check lessons/en/*.lesson lessons/zh/*.lesson >/dev/null && ok || bad "shipped lessons check"
bad_file=$(mktemp)
printf 'lesson: 1\nid: x\nlang: en\ntitle: t\n--- slide: s\nmodee: cache\n' >"$bad_file"
msg=$("$K" lesson check "$bad_file" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && echo "$msg" | grep -q "$bad_file:6: unknown directive" && ok || bad "check bad file: rc=$rc $msg"
rm -f "$bad_file"
"$K" lesson 42 >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "lesson 42 should exit 2"

# --- in the UI --------------------------------------------------------------------------
$T new-session -d -s e2e -x 120 -y 36 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e XDG_STATE_HOME="$state" \
    "$K lesson 2; echo EXIT=\$?; sleep 60"
check "lesson pane" "Lesson 2: The causal mask"
check "first slide" "slide 1/5"
check "question shown" "Q: How many (query, key) cells"
$T send-keys -t e2e a
check "answer line" "Answer:"
$T send-keys -t e2e -l 14
$T send-keys -t e2e Enter
check "wrong answer feedback" "14 is not it. Hint:"
$T send-keys -t e2e a
$T send-keys -t e2e -l 3*5
check "answer line shows what it reads" "3*5"
check "answer line value" "= 15"
$T send-keys -t e2e Enter
check "right answer as an expression" "Right: 15."
$T send-keys -t e2e a
$T send-keys -t e2e -l 15
$T send-keys -t e2e Enter
$T send-keys -t e2e .
check "next slide" "slide 2/5"
# slide 2: a typed fraction is read as a fraction, not as 23 (issue 14)
$T send-keys -t e2e a
$T send-keys -t e2e -l 2/3
$T send-keys -t e2e Enter
check "fraction read as a fraction" "2/3 = 0.6667 is not it"
# slide 4: a true/false question, answered with its key
$T send-keys -t e2e . .
check "slide 4" "slide 4/5"
check "choice options" "t) true"
$T send-keys -t e2e a
$T send-keys -t e2e t
$T send-keys -t e2e Enter
check "keyed hint for t" "Which of the keys lies after position"
$T send-keys -t e2e a
$T send-keys -t e2e f
$T send-keys -t e2e Enter
check "choice right" "Right: f."
$T send-keys -t e2e , , ,
check "previous slide" "slide 1/5"
$T send-keys -t e2e G
$T send-keys -t e2e o
check "slide state restored" "PREFILL"
$T send-keys -t e2e q
check "quit" "EXIT=0"
$T kill-server 2>/dev/null

XDG_STATE_HOME=$state "$K" lesson | grep "The causal mask" | grep -q "2/4 answered" && ok || bad "progress not shown"
XDG_STATE_HOME=$state "$K" lesson --reset-progress >/dev/null && ok || bad "reset progress"
XDG_STATE_HOME=$state "$K" lesson | grep "The causal mask" | grep -q "answered" && bad "progress not reset" || ok

# --- progress saves that fail, and saves that must keep every row ----------------------
# 300 rows of other lessons: a save in the UI keeps them all (it used to keep 255)
rm -rf "$state"; mkdir -p "$state/kvsim"
i=0
while [ $i -lt 300 ]; do echo "other-$i en 1 5 0 3 0"; i=$((i + 1)); done >"$state/kvsim/progress"
$T new-session -d -s e2e -x 120 -y 36 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e XDG_STATE_HOME="$state" \
    "$K lesson 2; echo EXIT=\$?; sleep 60"
check "lesson with 300 rows" "slide 1/5"
$T send-keys -t e2e .
check "next slide" "slide 2/5"
$T send-keys -t e2e q
check "quit" "EXIT=0"
$T kill-server 2>/dev/null
[ "$(grep -c '^other-' "$state/kvsim/progress")" -eq 300 ] && grep -q "^causal-mask en 2 5 " "$state/kvsim/progress" && ok \
    || bad "save kept $(grep -c '^other-' "$state/kvsim/progress") of 300 rows"
# the state directory is a plain file: a warning on screen and on stderr at exit
plain=$(mktemp)
$T new-session -d -s e2e -x 120 -y 36 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e XDG_STATE_HOME="$plain" \
    "$K lesson 2; echo EXIT=\$?; sleep 60"
check "failed save warned in the UI" "warning: progress not saved"
$T send-keys -t e2e q
check "failed save warned at exit" "kvsim: progress not saved: $plain"
check "still exit 0" "EXIT=0"
$T kill-server 2>/dev/null
rm -f "$plain"
# the disk is full (files may not grow): a warning, and the old file stays
cp "$state/kvsim/progress" "$state/old"
$T new-session -d -s e2e -x 120 -y 36 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e XDG_STATE_HOME="$state" \
    "trap '' XFSZ; ulimit -f 0; $K lesson 2; echo EXIT=\$?; sleep 60"
check "full disk warned in the UI" "warning: progress not saved"
$T send-keys -t e2e . . q
check "full disk warned at exit" "kvsim: progress not saved"
$T kill-server 2>/dev/null
cmp -s "$state/old" "$state/kvsim/progress" && ok || bad "a failed save changed the old progress file"
[ "$(ls "$state/kvsim" | grep -cv '^progress\(.lock\)\?$')" -eq 0 ] && ok || bad "temporary files left: $(ls "$state/kvsim")"

e2e_summary
