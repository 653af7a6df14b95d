#!/bin/sh
# test_help.sh [KVSIM] — what the help, the man page, the README and the
# build say agrees with what they do:
#   - docs/kvsim.1 lists, per command, exactly the options `kvsim CMD --help`
#     lists (each option section of the man page names its commands in a
#     `.\" commands:` comment), and groff finds nothing to warn about;
#   - every kvsim command line shown in README.md and docs/*.md is accepted
#     (run with --help appended: options are checked, nothing runs);
#   - the README's first screen works on a bare machine and names every
#     package tools/deps.sh installs; deps.sh asks for the libFuzzer runtime;
#   - under CI=true, tests/run.sh fails a suite that ran no test;
#   - make: -Werror only with WERROR=1, one line per file, V=1 in full.
set -u
K=${1:-build/kvsim}
cd "$(dirname "$0")/.." || exit 2
case $K in /*) ;; *) [ -x "$K" ] || K=build/kvsim ;; esac
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# --- the man page and --help: the same options per command ---------------
python3 - "$K" docs/kvsim.1 >"$tmp/man.out" 2>&1 <<'EOF'
import re, subprocess, sys
k, man = sys.argv[1], sys.argv[2]
lines = open(man, encoding="utf-8").read().split("\n")
in_man, cmds = {}, None
for i, l in enumerate(lines):
    m = re.match(r'\.\\" commands: (.*)', l)
    if m:
        cmds = m.group(1).split()
        continue
    if l.startswith(".SH") or l.startswith(".SS"):
        cmds = None
        continue
    if cmds and i > 0 and lines[i - 1] == ".TP":
        for o in re.findall(r"\\-\\-((?:[a-z]|\\-)+)", l):
            for c in cmds:
                in_man.setdefault(c, set()).add(o.replace("\\-", "-"))
bad = 0
for c in ["ui", "trace", "export", "frames", "lesson", "bench-ui", "calc", "bench", "train"]:
    args = [k] + ([] if c == "ui" else [c]) + ["--help"]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    in_help = set(re.findall(r"^  (?:-., )?--([a-z-]+)", out, re.M))
    m = in_man.get(c, set())
    if not in_help or m != in_help:
        bad += 1
        print("FAIL: %s: only in --help: %s; only in docs/kvsim.1: %s"
              % (c, sorted(in_help - m), sorted(m - in_help)))
    else:
        print("ok: %s: %d options" % (c, len(m)))
sys.exit(1 if bad else 0)
EOF
rc=$?
cat "$tmp/man.out"
p=$(grep -c '^ok:' "$tmp/man.out")
pass=$((pass + p))
fail=$((fail + $(grep -c '^FAIL' "$tmp/man.out")))
[ "$rc" -eq 0 ] || [ "$(grep -c '^FAIL' "$tmp/man.out")" -gt 0 ] || bad "man page check did not run"
[ "$p" -eq 9 ] || [ "$rc" -ne 0 ] || bad "man page check: $p of 9 commands"

# kvsim train parses its own options (getopt in ui/cmd/train.c); its --help
# comes from cli_table.c: the two lists must be the same (the hidden
# --dump-batches aside)
grep -o '{"[a-z-]*", \(no\|required\)_argument' ui/cmd/train.c | sed 's/{"\([a-z-]*\)".*/\1/' |
    grep -vx 'dump-batches' | sort -u >"$tmp/getopt"
"$K" train --help | sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' | sort -u >"$tmp/trainhelp"
if [ "$(wc -l <"$tmp/getopt")" -ge 20 ] && cmp -s "$tmp/getopt" "$tmp/trainhelp"; then ok
else bad "kvsim train: getopt options and --help differ: $(diff "$tmp/getopt" "$tmp/trainhelp" | grep '^[<>]' | tr '\n' ' ')"; fi

if command -v groff >/dev/null 2>&1; then
    w=$(groff -man -ww -z docs/kvsim.1 2>&1)
    [ -z "$w" ] && ok || bad "groff -man -ww -z docs/kvsim.1: $w"
fi

# --- every command line in the docs is accepted -----------------------------
# lines like "    $ build/kvsim trace --gen 5 | head" or "    kvsim calc ...";
# placeholders ([N|FILE], NAME ...) and continued lines are left out; a
# pipe, redirection or comment starts after a space (--keys 'e<Backspace>' stays)
n_docs=0
grep -hE '^ *(\$ )?(\./)?(build/)?kvsim (trace|export|frames|lesson|calc|bench|bench-ui|--[a-z-]+)( |$)' README.md docs/*.md |
    grep -v '\\$' | grep -vE '\[|\.\.\.|  [a-z]' >"$tmp/cmds" || true
sed -n 's/^ *\$ //; s/^ *//; s/^\(\.\/\)\{0,1\}\(build\/\)\{0,1\}kvsim //; s/  *[|>#].*//; p' "$tmp/cmds" |
    sort -u >"$tmp/args"
while IFS= read -r args; do
    n_docs=$((n_docs + 1))
    # a subshell: a line with unbalanced quotes must not end this script
    if (eval "set -- $args" && exec "$K" "$@" --help) >/dev/null 2>"$tmp/err"; then ok
    else bad "docs: 'kvsim $args' is refused: $(head -n 1 "$tmp/err")"; fi
done <"$tmp/args"
[ "$n_docs" -ge 12 ] && ok || bad "only $n_docs command lines found in the docs"

# --- README: a bare machine, and what make test installs --------------------
quick=$(sed -n '/^## Quick start/,/^## /p' README.md)
before=$(echo "$quick" | sed -n '1,/make run/p')
echo "$before" | grep -q 'apt-get .*install.* make git' && ok || bad "README: no 'apt-get install make git' before make run"
echo "$before" | grep -q 'git clone ' && ok || bad "README: no git clone before make run"
echo "$quick" | grep -q 'sudo' && ok || bad "README: quick start does not mention sudo"
for pkg in $(sed -n 's/^ *need_\(cmd\|pc\) [^ ]* \([a-z0-9.+-]*\).*/\2/p' tools/deps.sh | sort -u) libclang-rt-dev; do
    echo "$quick" | grep -q -- "$pkg" && ok || bad "README quick start does not name $pkg (tools/deps.sh installs it)"
done

# --- deps.sh asks for the libFuzzer runtime when clang cannot link a fuzzer --
mkdir -p "$tmp/bin"
for t in sh tr sort sed id mktemp rm printf cat head apt-cache apt-get pkg-config dpkg; do
    p=$(command -v "$t" 2>/dev/null) && ln -s "$p" "$tmp/bin/$t"
done
# a clang that cannot link anything stands for "clang without its runtime"
printf '#!/bin/sh\necho "Debian clang version 14.0.6"; exit 1\n' >"$tmp/bin/clang"
chmod +x "$tmp/bin/clang"
deps=$(PATH=$tmp/bin sh tools/deps.sh test --dry-run 2>&1)
echo "$deps" | grep -q 'libclang-rt' && ok || bad "tools/deps.sh test with a clang that cannot link a fuzzer: '$deps' (want libclang-rt-dev)"

# --- CI=true: a suite that ran no test fails ---------------------------------
printf 'echo "skipper: 0 passed, 0 failed"\n' >"$tmp/test_skip.sh"
printf 'echo "one: 1 passed, 0 failed"\n' >"$tmp/test_one.sh"
if CI=true sh tests/run.sh --only "$tmp/test_one.sh" "$tmp/test_skip.sh" >"$tmp/run.out" 2>&1; then
    bad "CI=true: run.sh passed with a suite that ran no test"
else
    grep -q "ran no test" "$tmp/run.out" && ok || bad "CI=true: run.sh failed without saying why"
fi
if CI=false sh tests/run.sh --only "$tmp/test_one.sh" "$tmp/test_skip.sh" >"$tmp/run.out" 2>&1; then ok
else bad "CI=false: run.sh failed on a skipped suite: $(tail -n 3 "$tmp/run.out")"; fi

# --- make: -Werror only for CI, one line per file, V=1 in full ---------------
# (a make of our own: not the flags of a `make WERROR=1 test` around us)
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u WERROR -u V make "$@"; }
if command -v make >/dev/null 2>&1; then
    mk -s -n -B build/obj/sim/budget.o 2>/dev/null | grep -q -- '-Werror' &&
        bad "make: -Werror without WERROR=1" || ok
    mk -s -n -B WERROR=1 build/obj/sim/budget.o 2>/dev/null | grep -q -- '-Werror' && ok ||
        bad "make WERROR=1: no -Werror"
    out=$(mk -B --no-print-directory build/obj/sim/budget.o 2>&1)
    [ "$out" = "  CC  sim/budget.c" ] && ok || bad "make: '$out' (want '  CC  sim/budget.c')"
    out=$(mk -B --no-print-directory V=1 build/obj/sim/budget.o 2>&1)
    echo "$out" | grep -q -- '-c sim/budget.c -o build/obj/sim/budget.o' && ok || bad "make V=1: '$out'"
fi

echo "help: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
