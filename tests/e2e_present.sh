#!/bin/sh
# e2e_present.sh [KVSIM] — presenter mode in the real binary, in tmux (own
# socket): --present and z on/off, the big ratio, a clicker's keys (PgDn,
# PgUp, b), Esc never quits, q asks "quit? y/n", token autoplay advances
# whole steps, resize in presenter mode (large, too small, back).
set -u
E2E=present
. "$(dirname "$0")/e2e_lib.sh"
new_server

# --- --present at 80x24: mask, cache, the cost in big digits -----------------------
$T new-session -d -s e2e -x 80 -y 24 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
    "$K --present --d-model 8 --prompt hello --gen 5; echo EXIT=\$?; sleep 60"
check "presenter: mask" "Causal mask"
check "presenter: cost box" "Cost: recompute"
check "presenter: cache" "KV cache"
check "presenter: status line" "q quit"
absent "presenter hides the Operations table" "Operations"
$T send-keys -t e2e N N
check "two steps" "DECODE step 1"
check "big digits" "██████"
check "the ratio's lines" "layers only"

# --- Esc closes, never quits; q asks; n keeps the demo ----------------------------------
$T send-keys -t e2e Escape Escape
check "Esc: still running" "Cost: recompute"
absent "Esc did not quit" "EXIT="
$T send-keys -t e2e q
check "q asks" "Quit? y / n"
$T send-keys -t e2e n
wait_gone "Quit? y / n" && ok || bad "n did not cancel the question"
absent "n did not quit" "EXIT="
check "still the demo" "Cost: recompute"

# --- a clicker: PgDn forward, PgUp back, b blanks, any key returns ----------------------
$T send-keys -t e2e PageDown
check "clicker forward" "DECODE step 2"
$T send-keys -t e2e PageUp
check "clicker back" "DECODE step 1"
$T send-keys -t e2e b
wait_gone "Causal mask" && ok || bad "b did not blank the screen"
$T send-keys -t e2e Escape
check "back after blank" "Causal mask"
absent "Esc on the blank screen did not quit" "EXIT="

# --- z: the normal screen and back ---------------------------------------------------------
$T send-keys -t e2e z
check "z: normal screen" "Operations"
wait_gone "Cost: recompute" && ok || bad "z did not leave presenter mode"
$T send-keys -t e2e z
check "z again: presenter" "Cost: recompute"
wait_gone "Operations" && ok || bad "z did not enter presenter mode"

# --- resize in presenter mode ------------------------------------------------------------
$T resize-window -t e2e -x 200 -y 60
check "200x60: per-step chart" "MACs per step"
check "200x60: cumulative chart" "Cumulative MACs"
check "200x60: formula with the run's numbers" "O(d² + i·d): 2·(3·8² + 2·6·8 + 8² + 2·8·32) + 8·1,073 = 10,312"
$T resize-window -t e2e -x 60 -y 20
check "too small" "Terminal too small"
$T resize-window -t e2e -x 80 -y 24
check "back at 80x24" "Cost: recompute"

# --- token autoplay in presenter mode: whole steps, never half of one ---------------------
$T send-keys -t e2e g . . . . .
check "pace shown" "0.5 s/step"
$T send-keys -t e2e Space
check "autoplay reaches step 1" "DECODE step 1"
autoplay_whole_steps 23
check "autoplay ends the run" "DECODE step 4"

# --- q, y: the end ---------------------------------------------------------------------------
$T send-keys -t e2e q
check "q asks again" "Quit? y / n"
$T send-keys -t e2e y
check "y quits with status 0" "EXIT=0"
end_server
e2e_summary
