#!/bin/sh
# e2e_lesson.sh [KVSIM] — a lesson in the real binary, driven in tmux: open
# lesson 2, turn slides, answer one question wrongly and one rightly, see
# the feedback, quit; then the list shows the progress. Lessons 14 (the
# trained model) and 17 (a batch of prompts, prefix sharing) open at 80x24
# and 160x50 in en and zh, PgDn turns their slides, and the screen shows
# what each slide sets up. Also the lesson commands that need no terminal:
# --print, check.
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

# --- lessons 14 and 17 at the smallest and a large size, en and zh ----------------------
# settled: poll until two captures 0.1 s apart are equal (a redraw done)
settled() {
    prev=$(screen); i=0
    while [ $i -lt 50 ]; do
        sleep 0.1
        cur=$(screen)
        [ "$cur" = "$prev" ] && return 0
        prev=$cur; i=$((i + 1))
    done
    return 1
}
# pgdn_until DESCRIPTION TEXT [MAX]: press PgDn one at a time, each time
# waiting for the screen to change and settle, until TEXT shows up (PgDn
# first scrolls a narration that does not fit, so a slide may take several)
pgdn_until() {
    n=0
    settled
    while ! screen | grep -qF -- "$2"; do
        if [ $n -ge "${3:-25}" ]; then
            bad "$1: '$2' not on screen after $n PgDn"; screen | sed 's/^/    | /'; return 1
        fi
        before=$(screen)
        $T send-keys -t e2e NPage
        n=$((n + 1))
        i=0
        while [ $i -lt 50 ] && [ "$(screen)" = "$before" ]; do sleep 0.1; i=$((i + 1)); done
        if [ "$(screen)" = "$before" ]; then
            bad "$1: PgDn changed nothing"; screen | sed 's/^/    | /'; return 1
        fi
        settled
    done
    ok
}
# open_lesson N LANG W H: a fresh server with kvsim lesson N in a W x H window
open_lesson() {
    end_server
    new_server
    $T new-session -d -s e2e -x "$3" -y "$4" -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
        -e XDG_STATE_HOME="$state" "$K lesson $1 --lang $2; echo EXIT=\$?; sleep 60"
}
quit_lesson() {
    $T send-keys -t e2e q
    check "$1: quit" "EXIT=0"
    end_server
}
for size in 80x24 160x50; do
    w=${size%x*}; h=${size#*x}
    for lang in en zh; do
        at="$lang $size"
        if [ $lang = en ]; then
            l14="Lesson 14: What the cache remembers"; l17="Lesson 17: Prefix sharing"
            s1="slide 1/7"; s2="slide 2/7"; s3="slide 3/7"
            prefill="PREFILL step 0"; memory="MEMORY"; pool25="pool: 25 of 48 blocks in use"; batch3="B = 4, 3 sequences"
            sys_prompt="you␣are␣a␣kind␣tutor.␣hi!"; seq_c='C "you'
        else
            l14="第 14 课：缓存记住了什么"; l17="第 17 课：前缀共享"
            s1="第 1/7 页"; s2="第 2/7 页"; s3="第 3/7 页"
            prefill="预填充 第 0 步"; memory="内存"; pool25="池：25/48 块已用"; batch3="B = 4，3 个序列"
            sys_prompt="你是一位很和气的小学老师，请用简单的话回答。你好！"; seq_c='C "你是一'
        fi
        # lesson 14: slide 1 runs the trained model (weights=trained) on its
        # repeated sentence; slide 3 (goto: step 0 end) shows the prefill's
        # token, 床: the copy the lesson is about, made by the trained weights
        open_lesson 14 $lang "$w" "$h"
        check "14 $at: lesson pane" "$l14"
        check "14 $at: first slide" "$s1"
        check "14 $at: the trained model" "default.kvsim"
        absent "14 $at: not the random model" "random model"
        check "14 $at: the slide's prompt" "猫在床上睡觉。猫在"
        pgdn_until "14 $at: PgDn to slide 2" "$s2"
        absent "14 $at: slide 2 still before the prefill" "$prefill"
        pgdn_until "14 $at: PgDn to slide 3" "$s3"
        check "14 $at: slide 3 after the prefill" "$prefill"
        check "14 $at: the trained model copies 床" "猫在床上睡觉。猫在│床"
        quit_lesson "14 $at"
        # lesson 17: slide 1 is a batch of three prompts in the memory view;
        # slide 2 (goto: step 0 end) shows their 25 blocks in the pool, one
        # table row per sequence when the window is large enough
        open_lesson 17 $lang "$w" "$h"
        check "17 $at: lesson pane" "$l17"
        check "17 $at: first slide" "$s1"
        check "17 $at: the memory view" "$memory"
        check "17 $at: a batch of three" "$batch3"
        check "17 $at: sequence 0's prompt" "$sys_prompt"
        pgdn_until "17 $at: PgDn to slide 2" "$s2"
        check "17 $at: slide 2 after the prefill" "$prefill"
        check "17 $at: the three prefills' blocks" "$pool25"
        # the sum row: reserved, used and wasted bytes of the 25 blocks
        check "17 $at: the pool's bytes" "12,800 11,776 1,024"
        if [ "$w" -ge 120 ]; then check "17 $at: one row per sequence" "$seq_c"; fi
        quit_lesson "17 $at"
    done
done
new_server   # a fresh socket for the sessions below

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
