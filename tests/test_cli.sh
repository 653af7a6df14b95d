#!/bin/sh
# test_cli.sh [KVSIM] — the real binary on good and bad command lines.
# Every bad input: exit status 2, nothing on stdout, exactly ONE line on
# stderr, "kvsim: what, where, what is allowed; see 'kvsim CMD --help'"
# (CMD's own help), and never a crash.
set -u
K=${1:-build/kvsim}
pass=0
fail=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# one_line WHAT: the stderr of the last run ($err) is exactly one line
# (wc -l counts newlines: a message without its newline is 0, a second
# line of any kind is 2)
one_line() {
    n=$(wc -l <"$err" | tr -d ' ')
    [ "$n" -eq 1 ] && [ "$(wc -c <"$err" | tr -d ' ')" -gt 1 ] && return 0
    bad "$1 -> $n stderr lines (want exactly 1): $(head -n 3 "$err" | tr '\n' '|')"
    return 1
}

# the command ARGS... run: the first word that names one ('' for the UI and help)
command_of() {
    for w in "$@"; do
        case $w in
            trace|export|frames|bench-ui|lesson|calc|bench|train) echo "$w"; return ;;
            help) return ;;
        esac
    done
}

# expect_error PATTERN ARGS...: exit 2, nothing on stdout, one stderr line
# "kvsim: ..." that matches PATTERN and points at the command's own --help
expect_error() {
    pat=$1; shift
    "$K" "$@" >"$out" 2>"$err"
    rc=$?
    first=$(head -n 1 "$err")
    if [ "$rc" -ne 2 ]; then bad "kvsim $* -> exit $rc (want 2): $first"; return; fi
    if [ -s "$out" ]; then bad "kvsim $* wrote to stdout"; return; fi
    one_line "kvsim $*" || return
    case "$first" in
        kvsim:*) ;;
        *) bad "kvsim $* -> message does not start with 'kvsim:': $first"; return ;;
    esac
    c=$(command_of "$@")
    hint="; see 'kvsim ${c:+$c }--help'"
    case "$first" in
        *"$hint") ;;
        *) bad "kvsim $* -> does not end with \"$hint\": $first"; return ;;
    esac
    if ! echo "$first" | grep -q -- "$pat"; then bad "kvsim $* -> '$first' lacks '$pat'"; return; fi
    ok
}

expect_ok() {
    "$K" "$@" >"$out" 2>"$err"
    rc=$?
    if [ "$rc" -ne 0 ]; then bad "kvsim $* -> exit $rc: $(head -n 1 "$err")"; return; fi
    if [ -s "$err" ]; then bad "kvsim $* wrote to stderr: $(head -n 1 "$err")"; return; fi
    ok
}

# --- good ---
expect_ok --help
grep -q "Usage: kvsim" "$out" && ok || bad "--help text"
expect_ok --version
grep -q "^kvsim [0-9]" "$out" && ok || bad "--version text"
expect_ok trace
expect_ok trace --format csv
expect_ok trace --format json --mode cache
expect_ok trace --mode recompute --prompt 'hi' --gen 2
expect_ok trace --prompt '我是一个学生' --gen 3 --d-model 4 --heads 4 --layers 1
expect_ok trace --prompt a --gen 1 --max-seq 2
expect_ok trace --seed 18446744073709551615
expect_ok trace --block-size 4 --prompt a --prompt bb --prompt ccc
expect_ok trace --block-size 64 --window 3 --kv-heads 1 --format json
expect_ok trace --block-size 1 --prompt a --gen 1 --max-seq 2 --format csv
expect_ok export --block-size 4 --prompt ab --prompt c --gen 2
expect_ok frames --block-size 3 --prompt ab --prompt cde --steps 1

# --- model files (spec §7, docs/model-format.md) ---
M=models/default.kvsim
mtmp=$(mktemp -d)
expect_ok trace --model "$M" --prompt 'the cat' --gen 3
expect_ok trace --model "$M" --prompt '我是' --gen 2 --window 4 --format json
grep -q '"model": "models/default.kvsim"' "$out" && ok || bad "trace json names the model"
expect_ok export --model "$M" --prompt 'ab' --gen 1
grep -q '"alphabet": \[" ", "!"' "$out" && ok || bad "export lists the model's alphabet"
expect_error "own shape" trace --model "$M" --d-model 8
expect_error "own shape" trace --seed 3 --model "$M"
expect_error "cannot open" trace --model "$mtmp/none.kvsim"
expect_error "not a kvsim model file" trace --model Makefile
head -c 100 "$M" >"$mtmp/short.kvsim"
expect_error "truncated" trace --model "$mtmp/short.kvsim"
# train --eval/--resume load a model file: the message names the option given
expect_error "^kvsim: --eval $mtmp/none.kvsim: cannot open the file" train --eval "$mtmp/none.kvsim"
expect_error "^kvsim: --eval $mtmp/short.kvsim: .*truncated" train --eval "$mtmp/short.kvsim"
expect_error "^kvsim: --resume $mtmp/none.kvsim: cannot open the file" train --resume "$mtmp/none.kvsim" --data data
expect_error "^kvsim: --bogus: unknown option for 'kvsim train'" train --bogus
expect_error "^kvsim: --steps 0: out of range" train --steps 0
expect_error "model's alphabet" trace --model "$M" --prompt 'a€'
expect_error "max-seq 65" trace --model "$M" --max-seq 65
rm -rf "$mtmp"

# --- chunked prefill and speculative decoding (spec §6.7, §6.9) ---
expect_ok trace --chunk 3 --gen 4
expect_ok trace --speculate 4 --prompt 'abcabcab' --gen 6 --format json
expect_ok trace --chunk 2 --speculate 3 --window 4 --block-size 3 --format csv
expect_ok frames --chunk 4 --steps 2
expect_error "out of range" trace --chunk 0
expect_error "out of range" trace --speculate 0
expect_error "not a number" trace --chunk x
expect_error "out of range" trace --speculate -1
expect_error "cache-mode technique; not with --mode recompute" trace --speculate 2 --mode recompute
expect_error "cache-mode technique; not with --mode train" trace --chunk 2 --mode train
expect_error "cache-mode technique; not with --mode recompute" frames --chunk 2 --mode recompute
# a batch with chunks or drafts: step lockstep (sim/run.h)
expect_ok trace --chunk 2 --prompt ab --prompt cdefg
expect_ok trace --speculate 2 --block-size 2 --prompt abab --prompt cd --format json
expect_ok trace --chunk 3 --speculate 2 --window 4 --block-size 3 --prompt abcabcab --prompt xyz --format csv
expect_ok frames --mode memory --chunk 2 --block-size 2 --prompt ab --prompt cdefg --steps 6
# --goto counts the run's steps: the prefill's chunks, a batch's longest sequence
expect_ok frames --d-model 8 --chunk 2 --prompt 'the cat sat on' --gen 3 --goto 8 --steps 0
grep -q "DECODE step 8 (of 0-8)" "$out" && ok || bad "frames --chunk 2 --goto 8: $(sed -n 2p "$out")"
expect_error "goto 9: step must be 0-8 (this run has 9 steps" frames --d-model 8 --chunk 2 --prompt 'the cat sat on' --gen 3 --goto 9 --steps 0
expect_error "goto 9.2: step must be 0-8 (this run has 9 steps" frames --d-model 8 --chunk 2 --prompt 'the cat sat on' --gen 3 --goto 9.2 --steps 0
expect_ok frames --mode memory --chunk 3 --prompt abc --prompt abcdefghij --gen 3 --goto 5 --steps 0
grep -q "BATCH step 5 (of 0-5)" "$out" && ok || bad "batch --goto 5: $(sed -n 2p "$out")"
expect_error "goto 4: step must be 0-3" frames --gen 4 --goto 4 --steps 0
# --goto STEP.OP: a bad value is quoted whole; an operation out of range
# gets the run's own ops per step, read here from the screen ("op 1/N")
expect_error "^kvsim: --goto '1.foo': not a step; expected STEP or STEP.OP" frames --goto 1.foo
for v in foo 1. .3 1.2.3 -1 ' 1' 1.+2 '1.2 '; do
    expect_error "^kvsim: --goto '$v': not a step; expected STEP or STEP.OP" frames --goto "$v"
done
expect_error "^kvsim: --goto 2.0: operations count from 1" frames --goto 2.0
expect_error "^kvsim: --goto 9.3: step must be 0-7 (--gen 8 steps)" frames --goto 9.3
gmodel=$(mktemp)
"$K" train --d-model 8 --heads 2 --layers 3 --max-seq 16 --batch 4 --copy-steps 1 --short-steps 1 --steps 2 \
    --every 1000 --data data --out "$gmodel" >/dev/null 2>&1 && ok || bad "train a 3-layer model for --goto"
# (a model file's layers count, not the default shape's: 3 layers here)
for run in "" "--mode recompute" "--layers 1 --d-model 8" "--layers 3 --d-model 8 --mode compare" \
           "--model $gmodel --prompt ab --gen 3" "--model $gmodel --prompt ab --gen 3 --mode recompute"; do
    # shellcheck disable=SC2086
    n=$("$K" frames $run --goto 1.1 --steps 0 2>/dev/null | sed -n 's/.* op 1\/\([0-9]*\):.*/\1/p')
    if [ -z "$n" ]; then bad "frames $run --goto 1.1: no 'op 1/N' in the header"; continue; fi
    # shellcheck disable=SC2086
    expect_ok frames $run --goto "1.$n" --steps 0
    # shellcheck disable=SC2086
    expect_error "^kvsim: --goto 1.$((n + 1)): operation must be 1-$n (a step of this run has $n: " \
        frames $run --goto "1.$((n + 1))" --steps 0
done
rm -f "$gmodel"
expect_error "only for" export --chunk 2
expect_error "^kvsim: --speculate: a lesson sets up its own model" lesson --speculate 2

# --- non-numeric, zero, negative, huge ---
for o in gen d-model heads layers d-ff max-seq block-size; do
    expect_error "not a number" trace --$o abc
    expect_error "not a number" trace --$o 12x
    expect_error "not a number" trace --$o ''
    expect_error "out of range" trace --$o 0
    expect_error "out of range" trace --$o -3
    expect_error "out of range" trace --$o 99999999999999999999999
    expect_error "missing value" trace --$o
done
expect_error "seed" trace --seed -1
expect_error "seed" trace --seed x
expect_error "seed" trace --seed 18446744073709551616

# --- shapes ---
expect_error "divisible" trace --heads 3
expect_error "divisible" trace --d-model 10 --heads 4
expect_error "between 1 and d-model" trace --d-model 4 --heads 8
expect_error "too large" trace --d-model 16384 --d-ff 16384
expect_error "too large" trace --max-seq 65536 --heads 8 --d-model 64 --prompt a --gen 1
expect_error "default d-ff" trace --d-model 65536
expect_error "out of range" trace --d-model 2147483648

# --- paged cache and batches ---
# prefix sharing (spec §6.8): needs whole blocks; one prompt is allowed (nothing to share)
expect_error "--prefix-cache: needs --block-size" trace --prefix-cache --prompt ab --prompt abc
# with a window (sim/paged.h): abcdef continues abcd (4 rows); abcx's first computed
# row would read rows the window dropped from both earlier prompts: 0
expect_ok trace --d-model 8 --prefix-cache --block-size 2 --window 3 --prompt abcd --prompt abcdef --prompt abcx --format json
[ "$(grep -o '"shared_rows": [0-9]*' "$out" | tr -dc '0-9 \n' | tr '\n' ' ')" = " 0  4  0 " ] && ok \
    || bad "prefix-cache with a window: shared_rows $(grep -o '"shared_rows": [0-9]*' "$out" | tr '\n' ' ')"
expect_ok trace --prefix-cache --block-size 2 --prompt abcd --prompt abcde --prompt abx --format json
expect_ok trace --prefix-cache --block-size 4 --prompt abcd
expect_ok frames --prefix-cache --block-size 2 --prompt abcd --prompt abcde --mode memory --steps 1
expect_ok frames --prefix-cache --block-size 4 --window 3 --prompt abcdefgh --prompt abcdefghij --prompt abcdefgh --mode memory --steps 3
# with chunks (docs/serving.md): a later prompt shares only the full blocks its donor holds
# after its first chunk: abcdefghijk takes 4 rows from abcdefghij (C = 4), abcdefghijkl 8 from it
expect_ok trace --d-model 8 --prefix-cache --chunk 4 --block-size 4 --prompt abcdefghij --prompt abcdefghijk --prompt abcdefghijkl --format json
[ "$(grep -o '"shared_rows": [0-9]*' "$out" | tr -dc '0-9 \n' | tr '\n' ' ')" = " 0  4  8 " ] && ok \
    || bad "prefix-cache with chunks: shared_rows $(grep -o '"shared_rows": [0-9]*' "$out" | tr '\n' ' ')"
expect_ok frames --prefix-cache --chunk 3 --block-size 3 --prompt abcdefgh --prompt abcdefghij --mode memory --steps 4
# rotary positions (spec §6.10): pairs need an even head dimension; the bug needs RoPE; a model file decides
expect_error "--rope-offset-bug: needs --rope" trace --rope-offset-bug
expect_error "--rope: the head dimension .* must be even" trace --rope --heads 8
expect_error "--rope: the model .* learned positions" trace --rope --model models/default.kvsim
# the default (trained) model has learned positions: --rope alone says how to get the random one
expect_error "--rope: the default model default.kvsim has learned positions; add a shape option" trace --rope
expect_ok trace --rope --d-model 8 --format json
expect_ok trace --rope --rope-offset-bug --kv-heads 1 --window 3 --format csv
expect_ok frames --rope --rope-offset-bug --d-model 8 --steps 2
expect_error "between 1 and max-seq (64)" trace --block-size 65
expect_error "between 1 and max-seq (4)" trace --block-size 8 --max-seq 4 --prompt a --gen 1
expect_error "at most 16 prompts" trace $(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do printf -- '--prompt a '; done)
expect_error "--prompt #2: .*U+20AC" trace --prompt ab --prompt 'a€'
expect_error "--prompt #3: .*empty" trace --prompt ab --prompt c --prompt ''
expect_error "--prompt #2: .*exceeds --max-seq" trace --prompt ab --prompt abcdefg --gen 2 --max-seq 8
expect_error "invalid UTF-8" trace --prompt ab --prompt "$(printf 'ab\377')"
expect_error "missing value" trace --prompt ab --prompt
expect_error "a batch of 16 sequences" trace --max-seq 4096 --heads 1 --layers 1 --gen 1 \
    $(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do printf -- '--prompt a '; done)

# --- prompts and lengths ---
expect_error "exceeds --max-seq" trace --gen 100
expect_error "exceeds --max-seq" trace --prompt abcd --gen 5 --max-seq 8
expect_error "at most 4 allowed" trace --prompt abcdef --max-seq 4
expect_error "empty" trace --prompt ''
expect_error "U+20AC" trace --prompt 'a€'
expect_error "position 2" trace --prompt 'a€'
expect_error "U+0009" trace --prompt "$(printf 'a\tb')"
expect_error "invalid UTF-8" trace --prompt "$(printf 'ab\377')"
expect_error "byte 3" trace --prompt "$(printf 'ab\377')"
expect_error "invalid UTF-8" trace --prompt "$(printf '\300\257')"

# --- words ---
expect_error "unknown option" trace --bogus
expect_error "unknown option" -x
expect_error "unknown command" frobnicate
expect_error "unexpected argument" trace extra
expect_error "expected table, csv or json" trace --format xml
expect_error "expected cache, recompute, both or train" trace --mode fast
expect_error "expected en or zh" --lang fr frames
expect_error "expected en or zh" frames --lang fr
expect_error "WIDTHxHEIGHT" frames --size 80
expect_error "WIDTHxHEIGHT" frames --size 5x5

# --- a message stays one line whatever the argument holds: control
# characters are shown as \xNN (a newline cannot split it, an escape
# cannot reach the terminal)
nl=$(printf 'a\nb')
esc=$(printf 'x\033[31my')
expect_error "^kvsim: --a\\\\x0ab: unknown option for 'kvsim trace'" trace "--$nl"
expect_error "^kvsim: --format 'x\\\\x1b\[31my': expected table, csv or json" trace --format "$esc"
grep -q "$(printf '\033')" "$err" && bad "an escape character reached stderr" || ok
expect_error "^kvsim: 'a\\\\x0ab': unknown command" "$nl"
expect_error "^kvsim: --gen 'a\\\\x0ab': not a number" bench-ui --gen "$nl"
expect_error "unexpected argument" lesson 1 "$nl"

# --- options belong to commands (one table: help and parsing agree) ---
expect_error "--lang: only for the UI, 'kvsim frames'" trace --lang zh
expect_error "--size: only for 'kvsim frames'" trace --size 80x24
expect_error "--seed: only for" bench --seed 1
expect_error "--seed: only for" calc --model gpt2 --seed 1
expect_error "--lesson: only for 'kvsim frames' (use 'kvsim lesson N' to play one)" trace --lesson 1
expect_error "--print: only for 'kvsim lesson'" trace --print
expect_error "--bogus: unknown option for 'kvsim trace'" trace --bogus
expect_ok --format json calc --model gpt2           # options may come before calc too
expect_ok help trace
grep -q "^Usage: kvsim trace" "$out" && ok || bad "help trace: not trace's help"
expect_error "'nope': unknown command" help nope
expect_ok -h
grep -q "^Usage: kvsim \[COMMAND\]" "$out" && ok || bad "-h: not the overview"
# every option of every command's --help is accepted by that command, and
# every other option of kvsim is refused by it: "--NAME=" gets a message
# about its value (or runs), never "unknown option" or "only for"
help_opts() { "$K" "$@" --help | sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' | sort -u; }
all_opts=$(for c in "" trace export frames bench-ui lesson calc bench; do help_opts $c; done | sort -u)
[ "$(echo "$all_opts" | wc -l)" -ge 40 ] && ok || bad "fewer than 40 options in all --help texts"
for c in "" trace export frames bench-ui lesson calc bench; do
    listed=$(help_opts $c)
    for o in $all_opts; do
        [ "$o" = version ] && continue
        "$K" $c "--$o=" </dev/null >/dev/null 2>"$err"
        # (a lesson refuses what its slides set up: 'a lesson sets up its own')
        if grep -q "only for\|unknown option\|a lesson sets up its own" "$err"; then took=no; else took=yes; fi
        # (an abbreviation is accepted too: calc's --mode= is its --model=)
        if echo "$listed" | grep -q -- "^$o"; then want=yes; else want=no; fi
        [ "$took" = "$want" ] && ok || bad "kvsim $c --$o: accepted=$took, listed in '$c --help'=$want"
    done
done
"$K" bench --help | grep -q -- "--seed" && bad "bench --help lists --seed" || ok
"$K" calc --help | grep -q -- "--seed" && bad "calc --help lists --seed" || ok
"$K" trace --help | grep -q -- "--size" && bad "trace --help lists --size" || ok
# every --help fits 80 columns
for c in "" trace export frames bench-ui lesson calc bench; do
    if "$K" $c --help | awk 'length > 80 { bad = 1 } END { exit bad }'; then ok
    else bad "kvsim $c --help: a line over 80 columns"; fi
done

# --- numbers: no spaces, no '+', no sign tricks (issue 9, item 11) ---
expect_error "seed ' -1'" trace --seed ' -1'
expect_error "seed ' 5'" trace --seed ' 5'
expect_error "seed '+5'" trace --seed +5
expect_error "not a number" trace --gen ' 5'
expect_error "not a number" trace --gen +5
expect_error "not a number" trace --gen '5 '
expect_error "not a number" calc --model gpt2 --context ' 5'
expect_error "not a number" calc --model gpt2 --balance ' 5'
expect_error "not a number" bench --runs +3
expect_error "WIDTHxHEIGHT" frames --size ' 80x24'
expect_error "WIDTHxHEIGHT" frames --size '80x 24'
# --- abbreviations: unique ones work, ambiguous ones list the names ---
expect_ok trace --form csv --pro ab --ge 2
expect_error "option '--d' is ambiguous; possibilities: --d-model --d-ff" trace --d 8
expect_error "option '--he' is ambiguous; possibilities: --heads --help" trace --he 2
expect_error "option '--p' is ambiguous; possibilities: --prompt --prefix-cache" frames --p
expect_error "option '--a' is ambiguous; possibilities: --ascii --allow-large" lesson --a
expect_error "option '--r' is ambiguous; possibilities: --runs --recompute-runs" bench --r 3
# --- export writes JSON only ---
expect_error "--format 'table': expected json" export --format table
expect_error "--format 'csv': expected json" export --format csv
expect_ok export --format json --gen 1
# --- messages echo at most ~60 characters of an argument ---
long=$(printf 'x%.0s' $(seq 1 300))
for args in "trace --format $long" "trace --gen $long" "trace $long" "calc --model $long" \
            "bench --shape $long" "frames --size $long" "trace --$long" "lesson 1 $long" \
            "frobnicate$long" "trace --prompt a --prompt b$long" "calc --memory 1$long" \
            "lesson /$long" "lesson check /$long" "frames --lesson /$long" "help $long"; do
    # shellcheck disable=SC2086
    "$K" $args >/dev/null 2>"$err"
    if [ -s "$err" ] && ! grep -q "$(printf 'x%.0s' $(seq 1 61))" "$err"; then ok
    else bad "kvsim ${args%%xxx*}...: more than 60 characters of the argument: $(head -c 100 "$err")"; fi
done
# --- frames --keys: the byte that is not UTF-8, counted from 1 ---
expect_error "invalid UTF-8 at byte 4" frames --keys "$(printf 'abc\377')"
expect_error "invalid UTF-8 at byte 1" frames --keys "$(printf '\377')"

# --- lessons from the command line ---
tmpd=$(mktemp -d)
trap 'rm -f "$out" "$err"; rm -rf "$tmpd"' EXIT
case $K in /*) KA=$K ;; *) KA=$PWD/$K ;; esac
expect_error "lesson --print: give a lesson number or file" lesson --print
# expect_lesson_error PATTERN ARGS...: exit 2, nothing on stdout, one line
# on stderr with PATTERN (a lesson's own 'path:line: message', or the list
# of lesson numbers: no --help pointer needed)
expect_lesson_error() {
    pat=$1; shift
    "$K" "$@" >"$out" 2>"$err"
    rc=$?
    if [ "$rc" -ne 2 ]; then bad "kvsim $* -> exit $rc (want 2): $(head -n 1 "$err")"; return; fi
    if [ -s "$out" ]; then bad "kvsim $* wrote to stdout"; return; fi
    one_line "kvsim $*" || return
    grep -q -- "$pat" "$err" && ok || bad "kvsim $* -> '$(head -n 1 "$err")' lacks '$pat'"
}
expect_lesson_error "$tmpd: is a directory" lesson check "$tmpd"
expect_lesson_error "$tmpd: is a directory" lesson "$tmpd" --print
head -c 10485760 /dev/zero | tr '\0' 'a' >"$tmpd/big.lesson"
expect_lesson_error "10485760 bytes, larger than the 1048576-byte (1 MiB) limit" lesson check "$tmpd/big.lesson"
# a lesson number that names no lesson: every form gives the same list, the
# numbers 'kvsim lesson' shows (1-2, 5 in a catalogue of lessons 1, 2 and 5)
mkdir -p "$tmpd/cat/en"
cp lessons/en/01-*.lesson lessons/en/02-*.lesson lessons/en/05-*.lesson "$tmpd/cat/en/"
for w in 0 00 3 6 99 100 123456; do
    what="no such lesson"
    [ ${#w} -gt 2 ] && what="no such file, and not a lesson number"
    for args in "lesson $w" "lesson $w --print" "frames --lesson $w"; do
        # shellcheck disable=SC2086
        KVSIM_LESSON_DIR=$tmpd/cat expect_lesson_error \
            "^kvsim: lesson $w: $what; the lessons are 1-2, 5 ('kvsim lesson' lists them), or give a lesson file\$" $args
    done
done
# the shipped catalogue: the ranges of the numbers 'kvsim lesson' lists
shipped=$("$K" lesson 2>/dev/null | awk '
    function put() { out = out (out == "" ? "" : ", ") lo (hi > lo ? "-" hi : "") }
    /^ *[0-9]+  / { n = $1 + 0; if (have && n == hi + 1) hi = n; else { if (have) put(); lo = hi = n; have = 1 } }
    END { if (have) put(); print out }')
[ -n "$shipped" ] && ok || bad "kvsim lesson lists no lessons"
for w in 0 100; do
    expect_lesson_error "the lessons are $shipped ('kvsim lesson' lists them)" frames --lesson $w
    expect_lesson_error "the lessons are $shipped ('kvsim lesson' lists them)" lesson $w
done
cp lessons/en/01-*.lesson "$tmpd/100"
if (cd "$tmpd" && "$KA" lesson 100 --print | grep -q "Anatomy"); then ok
else bad "kvsim lesson 100 (a file named 100 exists): not the file"; fi
cp lessons/en/01-*.lesson "$tmpd/5"
if (cd "$tmpd" && "$KA" lesson ./5 --print | grep -q "Anatomy"); then ok; else bad "kvsim lesson ./5: not the file"; fi
if (cd "$tmpd" && "$KA" lesson 5 --print | grep -q "Anatomy"); then bad "kvsim lesson 5 opened the file 5"; else ok; fi

# --- lesson mode: a lesson sets up its own run (reviewer, 2026-12-03) ---
# Its slides set the prompt, gen, model, view and position; an option that
# they would override is refused (exit 2, one line naming it, nothing on
# stdout, so no terminal is touched) in every form of 'kvsim lesson' and
# with 'frames --lesson'; the options that apply keep working.
export XDG_STATE_HOME="$tmpd/state"   # progress of these runs: not the user's
fixed="--prompt=x --gen=3 --d-model=16 --heads=4 --layers=1 --d-ff=64 --kv-heads=1 --window=4
--block-size=4 --prefix-cache --rope --rope-offset-bug --chunk=2 --speculate=2 --max-seq=32 --seed=7
--model=models/default.kvsim --mode=recompute"
for o in $fixed; do
    name=${o%%=*}   # (not $n: one_line sets it)
    for args in "lesson 1" "lesson 1 --print" "lesson check lessons/en/01-anatomy.lesson" "lesson" "frames --lesson 1"; do
        # shellcheck disable=SC2086
        expect_error "^kvsim: $name: a lesson sets up its own " $args "$o" </dev/null
    done
done
# the same, the option first, its value a separate word, or 'kvsim --OPT lesson'
expect_error "^kvsim: --prompt: a lesson sets up its own prompt on its slides (prompt: lines)" \
    lesson 1 --prompt foo --print
expect_error "^kvsim: --prompt: a lesson sets up its own prompt" frames --prompt xyz --d-model 16 --lesson 2
expect_error "^kvsim: --d-model: a lesson sets up its own model on its slides (model: lines)" \
    frames --lesson 2 --d-model 16 --prompt xyz
expect_error "^kvsim: --model: a lesson sets up its own model" --model models/default.kvsim lesson 1
expect_error "^kvsim: --mode: a lesson sets up its own view on each slide (mode: lines)" --mode compare lesson 2
# frames' own start state: a lesson has its position and keeps its screen
expect_error "^kvsim: --goto: a lesson sets up its own position on each slide (goto: lines)" \
    frames --lesson 1 --goto 2
expect_error "^kvsim: --present: a lesson sets up its own screen (for presenter mode give the key z in --keys)" \
    frames --lesson 1 --present
# the list a refusal gives is what the help lists: 'kvsim lesson --help'
# (all but --help and --version), and the --lesson line of frames --help
"$K" lesson 1 --gen 2 2>"$err" >/dev/null
said=$(sed -n "s/.* takes only \(.*\); see .*/\1/p" "$err" | tr -d ' ' | tr ',' '\n' | sort)
listed=$(help_opts lesson | grep -vx 'help\|version' | sed 's/^/--/' | sort)
[ -n "$said" ] && [ "$said" = "$listed" ] && ok \
    || bad "lesson: the refusal lists '$(echo $said)', lesson --help '$(echo $listed)'"
"$K" frames --lesson 1 --gen 2 2>"$err" >/dev/null
said=$(sed -n "s/.* takes only \(.*\); see .*/\1/p" "$err" | tr -d ' ' | tr ',' '\n' | sort)
helped=$("$K" frames --help | sed -n '/^  --lesson/,/^$/p' | grep -o -- '--[a-z-]*' | grep -vx -- '--lesson' | sort)
[ -n "$said" ] && [ "$said" = "$helped" ] && ok \
    || bad "frames --lesson: the refusal lists '$(echo $said)', frames --help '$(echo $helped)'"
# every option of frames is either in that list (accepted with --lesson) or
# refused with it; none is taken and then ignored (a new option of frames
# needs a good value here: it must be sorted into one or the other)
for o in $(help_opts frames); do
    case $o in
        help|version|lesson) continue ;;
        prefix-cache|rope|rope-offset-bug|allow-large|no-color|ascii|present) v= ;;
        prompt|keys) v=x ;; model) v=models/default.kvsim ;; mode) v=cache ;; lang) v=en ;;
        size) v=80x24 ;; goto|steps|layers) v=1 ;; d-ff) v=64 ;;
        gen|d-model|heads|kv-heads|window|block-size|chunk|speculate|max-seq|seed) v=2 ;;
        *) bad "frames --$o: no value for it in test_cli.sh (accepted with --lesson or not?)"; continue ;;
    esac
    "$K" frames --lesson 1 "--$o${v:+=$v}" </dev/null >/dev/null 2>"$err"
    if grep -q "a lesson sets up its own" "$err"; then took=no
    elif [ -s "$err" ]; then bad "frames --lesson 1 --$o${v:+=$v}: $(head -n 1 "$err")"; continue
    else took=yes; fi
    if echo "$helped" | grep -qx -- "--$o"; then want=yes; else want=no; fi
    [ "$took" = "$want" ] && ok || bad "frames --lesson 1 --$o: accepted=$took, listed for --lesson=$want"
done
# what applies still works
expect_ok lesson 1 --print --lang zh
grep -q "^第 1 课" "$out" && ok || bad "lesson 1 --print --lang zh: not the Chinese lesson"
"$K" lesson 1 --print >"$tmpd/plain"
expect_ok lesson 1 --print --allow-large
cmp -s "$out" "$tmpd/plain" && ok || bad "lesson 1 --print --allow-large: not the lesson's text"
expect_ok lesson --lang zh
grep -q "^kvsim 课程" "$out" && ok || bad "lesson --lang zh: not the Chinese list"
expect_ok lesson check lessons/en/01-anatomy.lesson --allow-large
expect_ok lesson --reset-progress
expect_ok frames --lesson 1 --size 100x30 --keys '.' --lang zh --no-color
grep -q "^--- frame 1: key \. (100x30) ---" "$out" && grep -q "第 1 课" "$out" && ok \
    || bad "frames --lesson 1 --size 100x30 --keys . --lang zh: $(head -n 1 "$out")"
expect_ok frames --lesson 1 --ascii --keys ''
LC_ALL=C grep -q "$(printf '[\200-\377]')" "$out" && bad "frames --lesson 1 --ascii: a byte that is not ASCII" || ok
expect_ok frames --lesson 1 --steps 2 --allow-large
[ "$(grep -c '^--- frame ' "$out")" -eq 3 ] && ok || bad "frames --lesson 1 --steps 2: not 3 frames"
# no --keys, no --steps: 1 + 8 frames, as frames --help says ("with --lesson 8")
expect_ok frames --lesson 1
[ "$(grep -c '^--- frame ' "$out")" -eq 9 ] && ok || bad "frames --lesson 1: not 9 frames"
unset XDG_STATE_HOME

# --- the work budget (issue 9, item 6): refused before it runs ---
expect_error "needs 6.7e12 multiply-accumulates .*the limit is 5e10: give --allow-large" \
    trace --d-model 1024 --heads 8 --layers 4 --max-seq 512 --gen 500 --prompt a
expect_error "the limit is 5e10" export --d-model 1024 --heads 8 --layers 4 --max-seq 512 --gen 500 --prompt a
expect_error "the limit is 5e10" frames --d-model 1024 --heads 8 --layers 4 --max-seq 512 --gen 500 --prompt a
expect_error "the limit is 5e10" --d-model 1024 --heads 8 --layers 4 --max-seq 512 --gen 500 --prompt a
expect_error "the limit is 5e10" bench-ui --d-model 1024 --heads 8 --layers 4 --max-seq 512 --gen 500 --prompt a
expect_error "the limit is 5e10" trace --d-model 256 --layers 2 --max-seq 1024 --gen 100 \
    $(for i in 1 2 3 4 5 6 7 8; do printf -- "--prompt %0900d " 0; done)
expect_ok trace --allow-large --gen 2
printf 'lesson: 50\nid: big\nlang: en\ntitle: Big\n\n--- slide: big\nmodel: d-model=1024 heads=8 layers=4 max-seq=512\ngen: 500\nprompt: a\nWork.\n' \
    >"$tmpd/big.lesson"
start=$(date +%s)
expect_lesson_error "big.lesson:.*the limit is 5e10: give --allow-large" lesson check "$tmpd/big.lesson"
expect_lesson_error "the limit is 5e10" lesson "$tmpd/big.lesson" --print
expect_lesson_error "the limit is 5e10" frames --lesson "$tmpd/big.lesson"
[ $(($(date +%s) - start)) -le 5 ] && ok || bad "refusing the big lesson took more than 5 s"

# --- output that cannot be written (issue 9, item 2) ---
# expect_write_error ARGS...: > /dev/full and >&- give exit 1 and one line
expect_write_error() {
    for how in full closed; do
        if [ $how = full ]; then "$K" "$@" >/dev/full 2>"$err" </dev/null; rc=$?
        else "$K" "$@" >&- 2>"$err" </dev/null; rc=$?; fi
        want="kvsim: error writing standard output: No space left on device"
        [ $how = closed ] && want="kvsim: error writing standard output: Bad file descriptor"
        if [ "$rc" -eq 1 ] && [ "$(wc -l <"$err")" -eq 1 ] && [ "$(cat "$err")" = "$want" ]; then ok
        else bad "kvsim $* ($how stdout) -> exit $rc: $(head -n 2 "$err" | tr '\n' '|')"; fi
    done
}
expect_write_error trace
expect_write_error trace --format json
expect_write_error export
expect_write_error frames --steps 1
expect_write_error bench-ui --gen 1
expect_write_error lesson
expect_write_error lesson 5 --print
expect_write_error lesson check lessons/en/01-anatomy.lesson
expect_write_error calc --model gpt2
expect_write_error --help
expect_write_error trace --help
expect_write_error --version
expect_write_error bench --quick --no-ui --runs 1
# a closed pipe stays quiet (SIGPIPE), and so does EPIPE when SIGPIPE is ignored
"$K" export 2>"$err" | head -c 10 >/dev/null
[ ! -s "$err" ] && ok || bad "kvsim export | head -c 10: $(head -n 1 "$err")"
(trap '' PIPE; "$K" export 2>"$err" | head -c 10 >/dev/null)
[ ! -s "$err" ] && ok || bad "kvsim export | head -c 10 (SIGPIPE ignored): $(head -n 1 "$err")"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
