#!/bin/sh
# deps.sh run|test [--dry-run] — make sure what kvsim needs is installed.
# On Debian/Ubuntu, missing packages are installed with apt-get (through
# sudo when not root), saying so first; elsewhere the names are printed.
# --dry-run only prints "kvsim needs: PACKAGES" (nothing when all is there).
#
# test also needs the libFuzzer runtime for tests/test_fuzz_smoke.sh: clang
# alone (installed without recommends) does not bring it. Debian 12 ships
# it as libclang-rt-dev (older releases: libclang-rt-NN-dev); which one is
# looked up with apt-cache once the package lists are fresh.
set -u
what=${1:-run}
dry=false
[ "${2:-}" = --dry-run ] && dry=true

missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_pc()  { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }
# whether clang links a libFuzzer target (with the sanitizers the tests use)
fuzzer_ok() {
    command -v clang >/dev/null 2>&1 || return 1
    d=$(mktemp -d) || return 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) { (void)p; (void)n; return 0; }' >"$d/p.c"
    clang -fsanitize=fuzzer,address,undefined "$d/p.c" -o "$d/p" >/dev/null 2>&1
    rc=$?
    rm -rf "$d"
    return $rc
}
# the package of the libFuzzer runtime, by the name this system knows
fuzzer_pkg() {
    if apt-cache show libclang-rt-dev >/dev/null 2>&1; then echo libclang-rt-dev; return; fi
    v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
    for p in "libclang-rt-${v:-14}-dev" libclang-rt-14-dev; do
        if apt-cache show "$p" >/dev/null 2>&1; then echo "$p"; return; fi
    done
    echo libclang-rt-dev
}

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
    fuzzer_ok || missing="$missing @fuzzer"
    need_cmd locale locales
    need_cmd valgrind valgrind
fi
# ncurses' pkg-config file ships with libncurses-dev; check the header too
[ -f /usr/include/ncursesw/curses.h ] || [ -f /usr/include/curses.h ] || missing="$missing libncurses-dev"

missing=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/^ *//;s/ *$//')
[ -z "$missing" ] && exit 0
if $dry; then
    echo "kvsim needs: $(echo "$missing" | sed "s/@fuzzer/$(fuzzer_pkg)/")"
    exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
            echo "kvsim needs: $missing — install them as root: apt-get install -y $missing" >&2
            exit 1
        fi
    fi
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    missing=$(echo "$missing" | sed "s/@fuzzer/$(fuzzer_pkg)/")
    echo "kvsim: installing missing packages: $missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing \
        || { echo "kvsim: apt-get install failed for: $missing" >&2; exit 1; }
else
    missing=$(echo "$missing" | sed "s/@fuzzer/libclang-rt-dev/")
    echo "kvsim needs these packages (Debian names): $missing" >&2
    echo "install their equivalents with your system's package manager, then run make again" >&2
    exit 1
fi
