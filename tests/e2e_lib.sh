# e2e_lib.sh — what the tmux end-to-end scripts share. Source it after
# setting E2E (the suite's name, e.g. E2E=ui); the script's $1 is the binary:
#
#     E2E=present
#     . "$(dirname "$0")/e2e_lib.sh"
#     new_server
#     $T new-session -d -s e2e -x 80 -y 24 "$K ...; echo EXIT=\$?; sleep 60"
#     check "what" "text on screen"
#     ...
#     e2e_summary
#
# Each tmux server has its own socket (kvsim-$E2E-<pid>-<n>): new_server
# starts using a fresh one (restarting a server on the same socket right
# after kill-server is racy), end_server kills the current one. The server
# is killed and E2E_CLEANUP (shell commands, e.g. removing a temporary
# directory) run on exit, and on INT, TERM and HUP as well, so an
# interrupted run leaves no tmux server behind.
# Waits poll the screen every 0.1 s for E2E_WAIT seconds (default 5): no
# fixed sleeps.

K=${1:-build/kvsim}
# the reference roofline, whatever `kvsim bench --save-machine` saved
unset KVSIM_MACHINE
KVSIM_MACHINE_FILE=
export KVSIM_MACHINE_FILE
case "$K" in /*) ;; *) K="$(pwd)/$K" ;; esac
pass=0
fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

n_sock=0
SOCK=""
T="tmux -L kvsim-$E2E-$$-0 -f /dev/null"   # replaced by new_server
new_server() {
    n_sock=$((n_sock + 1))
    SOCK="kvsim-$E2E-$$-$n_sock"
    T="tmux -L $SOCK -f /dev/null"
}
end_server() {
    [ -n "$SOCK" ] || return 0
    $T kill-server 2>/dev/null
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
}
e2e_exit() {
    end_server
    if [ -n "${E2E_CLEANUP:-}" ]; then eval "$E2E_CLEANUP"; fi
}
trap e2e_exit EXIT
trap 'e2e_exit; trap - EXIT; exit 129' HUP
trap 'e2e_exit; trap - EXIT; exit 130' INT
trap 'e2e_exit; trap - EXIT; exit 143' TERM

screen() { $T capture-pane -p -t e2e 2>/dev/null; }
# wait_for TEXT [SECONDS]: poll the screen until TEXT shows up
wait_for() {
    i=0
    lim=$(( ${2:-${E2E_WAIT:-5}} * 10 ))
    while [ $i -lt $lim ]; do
        if screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# wait_gone TEXT [SECONDS]: poll until TEXT is no longer on screen
wait_gone() {
    i=0
    lim=$(( ${2:-${E2E_WAIT:-5}} * 10 ))
    while [ $i -lt $lim ]; do
        if ! screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# check DESCRIPTION TEXT: TEXT shows up (the screen is printed when not)
check() {
    if wait_for "$2"; then ok; else bad "$1: '$2' not on screen"; screen | sed 's/^/    | /'; fi
}
# absent DESCRIPTION TEXT: TEXT is not on screen now (after a check settled it)
absent() {
    if screen | grep -qF -- "$2"; then bad "$1: '$2' on screen"; screen | sed 's/^/    | /'; else ok; fi
}
# the closing line, and the exit status
e2e_summary() {
    echo "e2e $E2E: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

# While token autoplay runs, sample the title bar eight times: each sample
# must show a finished step ("op N/N" for N = $1 operations per step) or
# READY, never an operation in the middle of a step. The pauses only space
# the samples; no result depends on them.
autoplay_whole_steps() {
    _mid=0
    for _i in 1 2 3 4 5 6 7 8; do
        _h=$(screen | head -1)
        case "$_h" in *"op $1/$1"*|*READY*) ;; *) _mid=1; echo "    | $_h" ;; esac
        sleep 0.15
    done
    [ $_mid -eq 0 ] && ok || bad "token autoplay showed a step half done"
}
