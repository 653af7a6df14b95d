#!/bin/sh
# e2e_ui.sh [KVSIM] — drive the real binary in tmux like a user: start it,
# press keys, watch the screen change, resize to too small and back, edit
# the prompt with a bad character, quit. Also: no terminal -> exit 1.
set -u
E2E=ui
. "$(dirname "$0")/e2e_lib.sh"
new_server
E2E_CLEANUP='rm -f /tmp/kvsim-e2e-err.$$'

# --- not a terminal: one message, exit 1, no escape codes -------------------
out=$("$K" 2>/tmp/kvsim-e2e-err.$$ </dev/null)
rc=$?
if [ $rc -eq 1 ] && [ -z "$out" ] && grep -q "kvsim trace" /tmp/kvsim-e2e-err.$$ &&
   ! grep -q "$(printf '\033')" /tmp/kvsim-e2e-err.$$; then ok; else bad "not a tty: rc=$rc"; fi
out=$(TERM=dumb "$K" 2>&1 </dev/null | od -c | grep -c '033')
[ "$out" -eq 0 ] && ok || bad "TERM=dumb wrote escape codes"
rm -f /tmp/kvsim-e2e-err.$$

# --- a session at 100x30 -------------------------------------------------------
$T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
    "$K --prompt 'hello' --gen 4; echo EXIT=\$?; sleep 60"
check "start screen" "Causal mask"
check "panel titles" "KV cache"
check "panel titles" "Operations"
check "ready" "READY"

$T send-keys -t e2e n
check "first op" "embed"
$T send-keys -t e2e N
check "prefill done" "PREFILL step 0"
$T send-keys -t e2e N
check "decode" "DECODE step 1"
$T send-keys -t e2e Up
check "back a step" "PREFILL step 0"
$T send-keys -t e2e m
check "mode recompute" "RECOMPUTE"
$T send-keys -t e2e m
check "mode compare" "COMPARE"
$T send-keys -t e2e m
check "mode train" "TRAIN"
$T send-keys -t e2e m
check "memory view" "KV blocks"
check "memory view badge" "MEMORY"
check "memory view traffic" "Memory traffic"
check "paging off says how to turn it on" "--block-size 4"
$T send-keys -t e2e m
check "mode cache" "KV CACHE"
$T send-keys -t e2e ']'
check "layer select" "layer 1/2"
$T send-keys -t e2e '?'
check "help overlay" "Keys (any key closes)"
check "help lists edit" "edit the prompt"
$T send-keys -t e2e x
wait_gone "Keys (any key closes)" && ok || bad "help did not close"

# --- a stray key must not end the demo: Esc closes overlays only ------------------
$T send-keys -t e2e '?'
check "help again" "Keys (any key closes)"
$T send-keys -t e2e Escape
wait_gone "Keys (any key closes)" && ok || bad "Esc did not close the help"
$T send-keys -t e2e Escape
sleep 0.5
screen | grep -qF "EXIT=" && bad "Esc quit the program" || ok
check "still running after Esc" "Causal mask"
# a clicker: PgDn forward a token step, PgUp back, b blanks, any key returns
$T send-keys -t e2e PageDown
check "clicker forward" "DECODE step 1"
$T send-keys -t e2e PageUp
check "clicker back" "PREFILL step 0"
$T send-keys -t e2e b
wait_gone "Causal mask" && ok || bad "b did not blank the screen"
$T send-keys -t e2e Escape
check "screen back after blank" "Causal mask"
screen | grep -qF "EXIT=" && bad "Esc on the blank screen quit" || ok

# --- token autoplay: Space plays whole steps at the pace shown (. faster) ------------
$T send-keys -t e2e g . . . . .
check "pace shown" "0.5 s/step"
$T send-keys -t e2e Space
check "token autoplay reaches step 2" "DECODE step 2"
autoplay_whole_steps 23
check "token autoplay ends the run" "DECODE step 3"
$T send-keys -t e2e g

# --- resize to too small and back ------------------------------------------------
$T resize-window -t e2e -x 60 -y 20
check "too small" "Terminal too small"
check "says the size needed" "80x24"
$T resize-window -t e2e -x 80 -y 24
check "back to normal" "Causal mask"
$T resize-window -t e2e -x 160 -y 48
check "large" "Causal mask"

# --- edit the prompt with a bad character: error shown, old prompt kept -----
$T send-keys -t e2e e
check "edit line" "Prompt:"
$T send-keys -t e2e -l 'x€'
check "bad char rejected" "U+20AC"
check "same message as the CLI" "is not in the model's alphabet"
$T send-keys -t e2e Escape
wait_gone "Prompt:" && ok || bad "edit line did not close"
check "old prompt kept" "hello│"
# a good edit restarts on the new prompt
$T send-keys -t e2e e BSpace BSpace BSpace BSpace BSpace
$T send-keys -t e2e -l 'abc'
$T send-keys -t e2e Enter
check "new prompt accepted" "prompt changed"

# --- play a little, then quit --------------------------------------------------------
$T send-keys -t e2e Space
sleep 1
$T send-keys -t e2e Space
$T send-keys -t e2e q
check "exit status 0" "EXIT=0"
alt=$($T display -p -t e2e '#{alternate_on}')
[ "$alt" = 0 ] && ok || bad "alternate screen still on after quit"
end_server
new_server

# --- SIGTERM restores the terminal too ---------------------------------------------------
$T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
    "sh -c 'echo \$\$ > /tmp/kvsim-e2e-pid.$$; exec $K'; echo EXIT=\$?; sleep 60"
check "started for SIGTERM" "Causal mask"
kill -TERM "$(cat /tmp/kvsim-e2e-pid.$$)"
check "SIGTERM exit" "EXIT=143"
alt=$($T display -p -t e2e '#{alternate_on}')
[ "$alt" = 0 ] && ok || bad "alternate screen on after SIGTERM"
rm -f /tmp/kvsim-e2e-pid.$$
end_server
new_server

# --- a batch sharing a block pool, in the memory view, at 80x24 -----------------
$T new-session -d -s e2e -x 80 -y 24 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
    "$K --d-model 8 --block-size 4 --prompt ab --prompt cde --prompt f; echo EXIT=\$?; sleep 60"
check "batch starts in the cache view" "KV CACHE"
$T send-keys -t e2e m m m m
check "cycled to the memory view" "KV blocks"
check "the pool is empty" "pool: 0 of 48 blocks in use"
$T send-keys -t e2e N
check "prefill took one block per sequence" "pool: 3 of 48 blocks in use"
check "blocks taken this step" "A2+B3+C1+"
check "prefill intensity" "prefill s0"
$T send-keys -t e2e N N N
check "step 3 as the trace has it" "pool: 5 of 48 blocks in use"
check "decode is memory-bound" "memory-bound"
check "totals" "2,560 1,920"
$T send-keys -t e2e Up
check "back a step" "pool: 4 of 48 blocks in use"
# Tab in the KV cache view: the per-sequence panels show B, then C, then A
$T send-keys -t e2e m
check "back to the cache view" "KV CACHE"
check "the strip names sequence A" "A: DECODE step 2"
$T send-keys -t e2e Tab
check "Tab shows sequence B" "B: DECODE step 2"
check "B's prompt on the Tokens line" "cde"
check "the mode comparison stays on A" "Operations (MACs) · A"
$T send-keys -t e2e Tab
check "Tab shows sequence C" "C: DECODE step 2"
$T send-keys -t e2e Tab
check "Tab comes round to A" "A: DECODE step 2"
check "A's screen names A too" "Operations (MACs) · A"
$T send-keys -t e2e q
check "batch exit" "EXIT=0"
end_server
new_server

# --- Chinese UI -------------------------------------------------------------------------
$T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
    "$K --lang zh; echo EXIT=\$?; sleep 60"
check "Chinese titles" "因果掩码"
check "Chinese titles" "注意力"
$T send-keys -t e2e q
check "zh exit" "EXIT=0"

e2e_summary
