#!/bin/sh
# deps.sh run|test — make sure what kvsim needs is installed.
# On Debian/Ubuntu, missing packages are installed with apt-get (through
# sudo when not root), saying so first; elsewhere the names are printed.
set -u
what=${1:-run}

missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_pc()  { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }

need_cmd cc build-essential
need_cmd make make
need_cmd pkg-config pkg-config
need_pc ncursesw libncurses-dev
if [ "$what" = test ]; then
    need_pc cmocka libcmocka-dev
    need_cmd tmux tmux
    need_cmd python3 python3
    need_cmd groff groff-base
    need_cmd clang clang
    need_cmd locale locales
    need_cmd valgrind valgrind
fi
# ncurses' pkg-config file ships with libncurses-dev; check the header too
[ -f /usr/include/ncursesw/curses.h ] || [ -f /usr/include/curses.h ] || missing="$missing libncurses-dev"

missing=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/^ *//;s/ *$//')
[ -z "$missing" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
            echo "kvsim needs: $missing — install them as root: apt-get install -y $missing" >&2
            exit 1
        fi
    fi
    echo "kvsim: installing missing packages: $missing"
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing \
        || { echo "kvsim: apt-get install failed for: $missing" >&2; exit 1; }
else
    echo "kvsim needs these packages (Debian names): $missing" >&2
    echo "install their equivalents with your system's package manager, then run make again" >&2
    exit 1
fi
