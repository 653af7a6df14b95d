#!/bin/sh
# e2e_terminal.sh [KVSIM] — the UI on hostile terminals: TERM unset, dumb
# or unknown; not a TTY; a resize storm while playing; suspend (SIGTSTP)
# and resume (SIGCONT) with the state kept; SIGINT. Every case ends with
# the right exit status and a restored terminal, never a crash or hang.
set -u
E2E=terminal
E2E_WAIT=6
. "$(dirname "$0")/e2e_lib.sh"
pidfile=/tmp/kvsim-term-pid.$$
E2E_CLEANUP='rm -f "$pidfile"'

# --- no usable terminal: exit 1, one message naming the text commands ------------
for case in "unset" "dumb" "xterm-nonexistent-42" "pipe" "stdin-null"; do
    err=$(mktemp)
    case $case in
        unset) env -u TERM "$K" >/dev/null 2>"$err" </dev/null; rc=$? ;;
        pipe) { "$K" 2>"$err"; echo $? >"$err.rc"; } | cat >/dev/null; rc=$(cat "$err.rc"); rm -f "$err.rc" ;;
        stdin-null) "$K" 2>"$err" </dev/null; rc=$? ;;
        *) TERM=$case "$K" 2>"$err" </dev/null; rc=$? ;;
    esac
    if [ "$rc" -eq 1 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -q "kvsim trace" "$err" &&
       ! grep -q "$(printf '\033')" "$err"; then ok; else bad "TERM $case: rc=$rc $(cat "$err")"; fi
    rm -f "$err"
done
# inside a real pty, unknown TERM and dumb TERM are refused too
new_server
$T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 "env TERM=nonexistent-term $K; echo EXIT=\$?; sleep 30"
check "unknown TERM in a pty" "EXIT=1"
end_server
new_server
$T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 "env TERM=dumb $K; echo EXIT=\$?; sleep 30"
check "dumb TERM in a pty" "EXIT=1"
end_server

# --- resize storm while playing at full speed ---------------------------------------
new_server
$T new-session -d -s e2e -x 120 -y 40 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
    "$K --gen 40 --max-seq 64; echo EXIT=\$?; sleep 30"
check "started" "Causal mask"
$T send-keys -t e2e + + + + + + O   # O: play by operation, at 60 op/s
for s in 80x24 200x60 60x15 81x25 150x50 20x8 120x40 79x23 100x30 90x28; do
    $T resize-window -t e2e -x "${s%x*}" -y "${s#*x}"
    sleep 0.05
done
$T resize-window -t e2e -x 100 -y 30
check "alive after the storm" "Operations"
$T send-keys -t e2e q
check "quit after the storm" "EXIT=0"
end_server

# --- suspend (Ctrl-Z) and resume (fg) under a job-control shell: terminal
# restored while stopped, state kept after. (A pane's own process is a
# session leader whose stop signals the kernel discards, hence the shell.)
new_server
$T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e PS1='$ ' "bash --norc --noprofile -i"
sleep 0.3
$T send-keys -t e2e "$K" Enter
check "started for suspend" "Causal mask"
$T send-keys -t e2e N N
check "two steps" "DECODE step 1"
$T send-keys -t e2e C-z
check "stopped by Ctrl-Z" "Stopped"
alt=$($T display -p -t e2e '#{alternate_on}')
[ "$alt" = 0 ] && ok || bad "alternate screen still on while suspended"
$T send-keys -t e2e "fg" Enter
check "redrawn on resume" "Causal mask"
check "state kept on resume" "DECODE step 1"
$T send-keys -t e2e q
$T send-keys -t e2e 'echo EXIT=$?' Enter
check "quit after resume" "EXIT=0"
end_server

# --- SIGINT: restored, status 130 -------------------------------------------------------------
new_server
$T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
    "sh -c 'echo \$\$ > $pidfile; exec $K'; echo EXIT=\$?; sleep 30"
check "started for SIGINT" "Causal mask"
kill -INT "$(cat "$pidfile")"
check "SIGINT exit" "EXIT=130"
alt=$($T display -p -t e2e '#{alternate_on}')
[ "$alt" = 0 ] && ok || bad "alternate screen on after SIGINT"
end_server
rm -f "$pidfile"

# --- escape sequences: only q quits ----------------------------------------------------
# Raw bytes as terminals send them (tmux send-keys -H): Alt+n, Alt+q, an
# unknown CSI, Ctrl+Left and Alt+Left (at the start: nothing to go back to),
# a lone Esc: none may quit, none may act as a
# letter. Home/End in the forms tmux and screen send (ESC[1~ ESC[4~) work.
for term in screen xterm-256color; do
    new_server
    $T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
        "env TERM=$term $K; echo EXIT=\$?; sleep 30"
    check "started ($term)" "Causal mask"
    for seq in "1b 6e" "1b 71" "1b 5b 39 39 7a" "1b 5b 31 3b 35 44" "1b 5b 31 3b 33 44" "1b"; do
        $T send-keys -t e2e -H $seq
        sleep 0.15
    done
    $T send-keys -t e2e '?'
    check "help after the sequences ($term)" "this help"
    $T send-keys -t e2e -H 1b
    sleep 0.3
    if screen | grep -q "EXIT="; then bad "an escape sequence quit the UI ($term)"; screen | tail -3 | sed 's/^/    | /'
    elif screen | grep -q "this help"; then bad "lone Esc did not close the help ($term)"
    elif screen | grep -q "PREFILL"; then bad "Alt+n acted as n ($term)"
    else ok; fi
    $T send-keys -t e2e -H 1b 5b 34 7e
    check "End as ESC[4~ ($term)" "DECODE step 7"
    $T send-keys -t e2e -H 1b 5b 31 7e
    check "Home as ESC[1~ ($term)" "READY"
    $T send-keys -t e2e q
    check "q quits ($term)" "EXIT=0"
    end_server
done

# --- every terminating signal: terminal restored, then killed by that signal ----------
# (the shell reports 128+N; echo must be back on and the alternate screen off)
sigs="QUIT:131 USR1:138 USR2:140 ALRM:142 TERM:143 HUP:129"
case "$K" in */asan/*) ;; *) sigs="$sigs SEGV:139 ABRT:134" ;; esac   # ASan owns the faults
for pair in $sigs; do
    sig=${pair%:*}
    want=${pair#*:}
    new_server
    $T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
        "sh -c 'ulimit -c 0; echo \$\$ > $pidfile; exec $K'; echo EXIT=\$?; stty -a | grep -q -- ' -echo ' && echo ECHO=off || echo ECHO=on; sleep 30"
    check "started for SIG$sig" "Causal mask"
    kill -"$sig" "$(cat "$pidfile")"
    check "SIG$sig exit status" "EXIT=$want"
    check "SIG$sig echo restored" "ECHO=on"
    alt=$($T display -p -t e2e '#{alternate_on}')
    [ "$alt" = 0 ] && ok || bad "alternate screen on after SIG$sig"
    end_server
done
rm -f "$pidfile"

# --- no locale at all (a minimal Debian has no LANG): C.UTF-8 is used for
# characters, and said once on stderr -------------------------------------------------
new_server
$T new-session -d -s e2e -x 100 -y 30 \
    "env -i TERM=xterm-256color HOME=\"$HOME\" PATH=\"$PATH\" $K; echo EXIT=\$?; sleep 30"
check "started without a locale" "Causal mask"
check "UTF-8 boxes without a locale" "┌─"
$T send-keys -t e2e q
check "quit without a locale" "EXIT=0"
check "said which locale" "kvsim: the locale (C) is not UTF-8; using C.UTF-8 for characters"
[ "$(screen | grep -c 'using C.UTF-8')" -eq 1 ] && ok || bad "locale message not exactly once"
end_server

# --- the live UI under valgrind: no leak, no invalid access -------------------------
case "$K" in */asan/*) vg=no ;; *) vg=yes ;; esac   # valgrind and ASan do not mix
if [ "$vg" = yes ] && command -v valgrind >/dev/null 2>&1; then
    new_server
    $T new-session -d -s e2e -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
        "valgrind -q --leak-check=full --error-exitcode=9 $K; echo EXIT=\$?; sleep 30"
    if wait_for "Causal mask" && wait_for "READY"; then ok; else bad "UI under valgrind did not start"; fi
    $T send-keys -t e2e N n '?' x m m q
    i=0
    while [ $i -lt 200 ] && ! screen | grep -q "EXIT="; do sleep 0.1; i=$((i + 1)); done
    if screen | grep -q "EXIT=0"; then ok; else bad "UI under valgrind: $(screen | grep -o 'EXIT=[0-9]*')"; screen | tail -20 | sed 's/^/    | /'; fi
    end_server
fi

e2e_summary
