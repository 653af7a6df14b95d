/* cli_table: see cli_table.h. */
#include "ui/cmd/cli_table.h"

#include "sim/bench.h"
#include "sim/calc.h"
#include "sim/trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* ---- the commands ---------------------------------------------------------
 * To add a subcommand: one row here (and its CMD_ value in cli.h); its
 * options are rows of the option table below whose .cmds include it.
 * main.c runs it. */

const CliCommand cli_commands[] = {
    {CMD_UI, "", "[OPTIONS]", "start the terminal UI",
     "Step a tiny decoder-only transformer through prefill and decode, with and\n"
     "without a KV cache, and count every multiply-accumulate. With no --model and\n"
     "no shape option every command runs the trained model built into kvsim\n"
     "(default.kvsim); a shape option runs the seeded random model instead."},
    {CMD_TRACE, "trace", "[OPTIONS]", "print the measured operation counts of every step",
     "Run the prompt with the KV cache, recomputing everything, and as one training\n"
     "pass; print what every step measured next to the closed forms."},
    {CMD_EXPORT, "export", "[OPTIONS]", "print the weights and every intermediate value as JSON",
     "Write the weights and every intermediate value of a cached run as JSON, so\n"
     "that any number can be recomputed independently (docs/export.md)."},
    {CMD_FRAMES, "frames", "[OPTIONS]", "print the UI's screens as plain text (no terminal needed)",
     "Print the screens the UI would show, as plain text, one after each key or\n"
     "token step."},
    {CMD_BENCH_UI, "bench-ui", "[OPTIONS]", "time building a UI frame at sizes from 80x24 to 200x60",
     "Time building one UI frame (render + text dump) over every operation of the\n"
     "run, in every view, at 80x24, 120x40 and 200x60."},
    {CMD_LESSON, "lesson",
     "[OPTIONS]\n"
     "N|FILE [--print] [OPTIONS]\n"
     "check FILE... [OPTIONS]\n"
     "--reset-progress",
     "the guided lessons: list, play, print, check",
     "Without N: list the lessons, with your progress. With N or FILE: play that\n"
     "lesson in the UI (--print: print it as plain text, questions with answers).\n"
     "check FILE...: validate lesson files (exit status 2 on problems).\n"
     "A word of one or two digits, 1 to 99, is a lesson number; any other word is\n"
     "a file (so 'kvsim lesson 100' opens the file 100; write ./5 for a file\n"
     "named 5). --lang also picks the lessons' language.\n"
     "A lesson sets up its own prompt, model, view and position on its slides,\n"
     "so the options of a run (--prompt, --gen, --d-model, --model, --mode, ...)\n"
     "are refused here with what the lesson uses instead."},
    {CMD_CALC, "calc", "[--model NAME | SHAPE] [OPTIONS]",
     "KV cache and FLOP arithmetic for real models",
     "Apply the counting closed forms to a real model's shape: KV cache bytes, weight\n"
     "bytes, FLOPs per token (prefill, decode with and without the cache), bytes moved\n"
     "per decode step, arithmetic intensity, and what fits in memory. Nothing is run.\n"
     "Formulas and sources: docs/calc.md."},
    {CMD_BENCH, "bench", "[OPTIONS]", "tokens/s with and without the cache, GFLOP/s",
     "Time the forward pass: first measure this machine (one thread: peak GFLOP/s\n"
     "of separate vector multiplies and adds, read bandwidth over a buffer the size\n"
     "of a shape's weights and over 4 x the last-level cache). Then, for each shape,\n"
     "generate a whole sequence (a 1-token prompt, then G = T-1 tokens) in cache\n"
     "mode and in recompute mode, on one thread, and print tokens per second\n"
     "(median of the timed runs), the measured speed-up, the speed-up the operation\n"
     "counts predict (recompute MACs / cache MACs), GFLOP/s (2 x measured MACs per\n"
     "second), and the roofline: bytes read per step, GB/s and its fraction of the\n"
     "read bandwidth, the fraction of the peak, FLOP per byte. Then the UI frame\n"
     "time, as 'kvsim bench-ui' measures it. Takes about 1.5 minutes\n"
     "(docs/performance.md). --save-machine keeps the machine's numbers in a\n"
     "file, and the memory view's roofline draws them from then on.\n"
     "\n"
     "Shapes:  tiny       d 8,   H 2, 2 layers, F 32,  T 64 (random, --d-model 8)\n"
     "         d64-T1024  d 64,  H 2, 2 layers, F 256, T 1024\n"
     "         d288-T256  d 288, H 6, 6 layers, F 768, T 256"},
    {CMD_TRAIN, "train", "[OPTIONS]\n--eval FILE [--show-alphabet]", "train a model in C and write a model file",
     "Train the model of spec §1 from kvsim's own C code (forward, backward, AdamW,\n"
     "float32, one thread) on the data recipe of docs/training.md and write a model\n"
     "file (docs/model-format.md). With no option it re-makes the shipped model,\n"
     "models/default.kvsim; then 'make' builds it into kvsim. Its options come after\n"
     "the word train. A progress line every --every steps; Ctrl-C writes a\n"
     "checkpoint (OUT.ckpt) that --resume continues."},
};
const int cli_n_commands = (int)(sizeof cli_commands / sizeof cli_commands[0]);

/* ---- the options ----------------------------------------------------------
 * To add an option: one row in `cli_options` below. .cmds says which commands
 * take it (a name may have one row per group of commands, each with its
 * own meaning); .set converts and stores the value: the generic setters
 * (set_int, set_u64, set_flag, set_text) store into the CliOptions member
 * at .field, range-checked with .lo/.hi, and set the bool at .flag (when
 * not 0) to say it was given; a new kind of value gets a setter of its own
 * next to them. The help text (.help, '\n' between lines) is printed under
 * the .group heading by `kvsim CMD --help`. */

static void *field_of(CliOptions *o, size_t off)
{
    return (char *)o + off;
}

static void mark_given(CliOptions *o, const CliOpt *r)
{
    if (r->flag) *(bool *)field_of(o, r->flag) = true;
}

/* "a|b|c" -> "a, b or c" */
static const char *choice_words(const char *choices)
{
    static char buf[160];
    size_t j = 0;
    const char *last = strrchr(choices, '|');
    for (const char *p = choices; *p && j + 5 < sizeof buf; p++) {
        if (*p != '|') buf[j++] = *p;
        else if (p == last) { memcpy(buf + j, " or ", 4); j += 4; }
        else { memcpy(buf + j, ", ", 2); j += 2; }
    }
    buf[j] = '\0';
    return buf;
}

/* Index of v in r->choices, or -1 with the message. */
static int pick(const CliOpt *r, const char *v, char *err, size_t errlen)
{
    const char *p = r->choices;
    for (int i = 0; p; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (strlen(v) == n && !strncmp(v, p, n)) return i;
        p = bar ? bar + 1 : NULL;
    }
    FAIL("--%s '%s': expected %s", r->name, cli_clip(v), choice_words(r->choices));
}

static int set_int(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    long long x;
    if (cli_parse_int(r->name, v, r->lo, r->hi, &x, err, errlen)) return -1;
    *(int *)field_of(o, r->field) = (int)x;
    mark_given(o, r);
    return 0;
}

static int set_u64(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    long long x;
    if (cli_parse_int(r->name, v, r->lo, r->hi, &x, err, errlen)) return -1;
    *(uint64_t *)field_of(o, r->field) = (uint64_t)x;
    mark_given(o, r);
    return 0;
}

static int set_flag(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)v, (void)err, (void)errlen;
    *(bool *)field_of(o, r->field) = true;
    return 0;
}

static int set_text(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    *(const char **)field_of(o, r->field) = v;
    return 0;
}

static int set_prompt(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r;
    if (!o->prompt_given) o->n_prompts = 0;   /* the first --prompt replaces the default */
    if (o->n_prompts == CLI_MAX_PROMPTS)
        FAIL("--prompt: at most %d prompts (a batch of %d sequences)", CLI_MAX_PROMPTS, CLI_MAX_PROMPTS);
    o->prompt_given = true;
    o->prompts[o->n_prompts++] = v;
    o->prompt = o->prompts[0];
    return 0;
}

static int set_seed(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r;
    char *end = NULL;
    errno = 0;
    unsigned long long x = 0;
    /* digits only: strtoull would skip spaces and wrap "-1" */
    if (*v >= '0' && *v <= '9') x = strtoull(v, &end, 10);
    if (!end || *end != '\0' || errno == ERANGE)
        FAIL("--seed '%s': expected an integer from 0 to 18446744073709551615", cli_clip(v));
    o->cfg.seed = (uint64_t)x;
    return 0;
}

/* kvsim train parses its own options (ui/cmd/train.c) when "train" is the
 * first word; its rows here give --help, the man page check and the "only
 * for" messages. Reaching this means train came after an option. */
static int set_train_opt(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)o;
    (void)v;
    FAIL("--%s: write train first, then its options: kvsim train --%s%s", r->name, r->name, r->arg ? " ..." : "");
}

/* A shape option (spec §1, §7): it selects the seeded random model, so
 * remember the first one given to refuse it beside --model FILE. */
static int set_shape_int(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    if (!o->shape_opt) o->shape_opt = r->name;
    return set_int(o, r, v, err, errlen);
}

static int set_shape_seed(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    if (!o->shape_opt) o->shape_opt = r->name;
    return set_seed(o, r, v, err, errlen);
}

static int set_size(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r;
    /* exactly digits 'x' digits: sscanf's %d would skip spaces and take signs */
    const size_t nw = strspn(v, "0123456789");
    const char *hs = v + nw + (v[nw] == 'x');
    const size_t nh = strspn(hs, "0123456789");
    const int a = nw >= 1 && nw <= 4 ? atoi(v) : 0, b = nh >= 1 && nh <= 4 ? atoi(hs) : 0;
    if (v[nw] != 'x' || hs[nh] != '\0' || a < 20 || b < 8 || a > 1000 || b > 500)
        FAIL("--size '%s': expected WIDTHxHEIGHT, e.g. 80x24 (width 20..1000, height 8..500)", cli_clip(v));
    o->width = a;
    o->height = b;
    return 0;
}

static int set_format(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    static const Format formats[] = {FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON};
    const int i = pick(r, v, err, errlen);
    if (i < 0) return -1;
    /* trace's choices are all three in this order; export's only "json" */
    o->format = !strcmp(r->choices, "json") ? FORMAT_JSON : formats[i];
    return 0;
}

static int set_trace_mode(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    static const unsigned modes[] = {TRACE_CACHE, TRACE_RECOMPUTE,
                                     TRACE_CACHE | TRACE_RECOMPUTE | TRACE_TRAIN, TRACE_TRAIN};
    const int i = pick(r, v, err, errlen);
    if (i < 0) return -1;
    o->trace_modes = modes[i];
    return 0;
}

static int set_view(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    const int i = pick(r, v, err, errlen);   /* choices in View order */
    if (i < 0) return -1;
    o->view = (View)i;
    return 0;
}

static int set_lang(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    const int i = pick(r, v, err, errlen);
    if (i < 0) return -1;
    o->lang_set = true;
    o->lang_zh = i == 1;
    return 0;
}

/* Digits only, saturating at 999999999 (then out of range wherever it is
 * checked); -1 when s[0..n) is not all digits or empty. */
static int goto_number(const char *s, size_t n)
{
    if (n == 0 || strspn(s, "0123456789") < n) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) v = v < 100000000 ? v * 10 + (s[i] - '0') : 999999999;
    return (int)v;
}

/* STEP or STEP.OP (--goto). Only the form is checked here: the steps are
 * checked against --gen in cli_parse (or the run's own steps in app_init,
 * with --chunk), the operation against the run's ops per step in
 * cli_prepare, once the model (its layers) is known. */
static int set_goto(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r;
    const char *dot = strchr(v, '.');
    const int step = goto_number(v, dot ? (size_t)(dot - v) : strlen(v));
    const int op = dot ? goto_number(dot + 1, strlen(dot + 1)) : 0;
    if (step < 0 || op < 0) {
        snprintf(err, errlen, "--goto '%s': not a step; expected STEP or STEP.OP (e.g. 3 or 3.5: step 3, "
                 "after its operation 5)", cli_clip(v));
        return -1;
    }
    if (dot && op == 0) {
        snprintf(err, errlen, "--goto %s: operations count from 1; expected STEP or STEP.OP (e.g. 3 or 3.5)",
                 cli_clip(v));
        return -1;
    }
    o->goto_step = step;
    o->goto_op = op;
    o->goto_arg = v;
    return 0;
}

/* a bool field from "table|json": the second word is true */
static int set_second(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    const int i = pick(r, v, err, errlen);
    if (i < 0) return -1;
    *(bool *)field_of(o, r->field) = i == 1;
    mark_given(o, r);
    return 0;
}

/* a bool field from "yes|no" */
static int set_yes_no(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    const int i = pick(r, v, err, errlen);
    if (i < 0) return -1;
    *(bool *)field_of(o, r->field) = i == 0;
    mark_given(o, r);
    return 0;
}

static int set_norm(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    const int i = pick(r, v, err, errlen);
    if (i < 0) return -1;
    o->calc.norm = i == 1 ? CALC_NORM_RMS : CALC_NORM_LAYER;
    o->calc.norm_set = true;
    return 0;
}

static int set_dtype(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    if (pick(r, v, err, errlen) < 0 || calc_parse_dtype(v, &o->calc.in.dtype)) return -1;
    return 0;
}

static int set_memory(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r;
    /* calc_parse_bytes quotes the whole value: refuse long ones here */
    if (*v < '0' || *v > '9' || strlen(v) > 48)
        FAIL("--memory '%s': expected a size such as 80GiB, 80GB, 512MiB or 1000000B", cli_clip(v));
    return calc_parse_bytes(v, &o->calc.in.memory, err, errlen);
}

static int set_balance(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r;
    char *end = NULL;
    errno = 0;
    double x = (*v >= '0' && *v <= '9') || *v == '.' ? strtod(v, &end) : 0;
    if (!end || end == v || *end != '\0')
        FAIL("--balance '%s': not a number; expected FLOP per byte, e.g. 295", cli_clip(v));
    if (errno == ERANGE || !isfinite(x) || x <= 0 || x > 1e9)
        FAIL("--balance %s: out of range; expected a number above 0 and at most 1e9", cli_clip(v));
    o->calc.in.balance = x;
    return 0;
}

static int set_acceptance(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r;
    char *end = NULL;
    errno = 0;
    double x = (*v >= '0' && *v <= '9') || *v == '.' ? strtod(v, &end) : 0;
    if (!end || end == v || *end != '\0' || errno == ERANGE || !(x >= 0) || x > 1)
        FAIL("--acceptance '%s': expected a rate from 0 to 1, e.g. 0.7", cli_clip(v));
    o->calc.in.acceptance = x;
    o->calc.spec_set = true;
    return 0;
}

static int set_shape(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    const int i = pick(r, v, err, errlen);   /* the order of bench_default_specs */
    if (i < 0) return -1;
    o->bench.shapes |= 1u << i;
    return 0;
}

/* --save-machine[=FILE]: no value = the default path (machine_file_path) */
static int set_save_machine(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r;
    if (v && !*v) FAIL("--save-machine=: the file name is empty; write --save-machine for the default "
                       "file or --save-machine=FILE");
    o->bench.save_machine = true;
    o->bench.machine_path = v;
    return 0;
}

static int set_quick(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    (void)r, (void)v, (void)err, (void)errlen;
    o->bench.shapes |= 1u;   /* tiny */
    return 0;
}

#define F(member) offsetof(CliOptions, member)
#define MODEL_OPTS "Model and run:"
/* what a lesson sets up in an option's place (CliOpt.lesson_sets) */
#define LS_PROMPT "prompt on its slides (prompt: lines)"
#define LS_GEN "number of tokens to generate on its slides (gen: lines)"
#define LS_MODEL "model on its slides (model: lines)"
#define LS_MODE "view on each slide (mode: lines)"
#define LS_GOTO "position on each slide (goto: lines)"
#define LS_PRESENT "screen (for presenter mode give the key z in --keys)"
#define STR_(x) #x
#define STR(x) STR_(x)
#define CALC_SHAPE "Shape (a custom shape needs --d-model, --layers, --heads, --d-ff, --vocab):"

const CliOpt cli_options[] = {
    /* the model and the run: every command that runs the tiny model */
    {.name = "prompt", .arg = "TEXT", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_prompt,
     .help = "prompt, one token per character (default\n"
             "\"" CONFIG_DEFAULT_PROMPT "\"); give it up to 16 times for a batch\n"
             "(trace and the UI's memory view run every\n"
             "sequence, sharing one block pool)",
     .lesson_sets = LS_PROMPT},
    {.name = "gen", .arg = "G", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_int, .field = F(gen),
     .lo = 1, .hi = CONFIG_MAX_DIM, .help = "tokens to generate (default 8); prompt + G <= max-seq",
     .lesson_sets = LS_GEN},
    {.name = "d-model", .arg = "d", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_shape_int,
     .field = F(cfg.d_model), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "model width (default 8); this or --heads,\n"
             "--kv-heads, --layers, --d-ff, --seed runs the\n"
             "seeded random model, not the built-in one",
     .lesson_sets = LS_MODEL},
    {.name = "heads", .arg = "H", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_shape_int,
     .field = F(cfg.n_heads), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "attention heads; d must be divisible by H (default 2)",
     .lesson_sets = LS_MODEL},
    {.name = "layers", .arg = "N", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_shape_int,
     .field = F(cfg.n_layers), .lo = 1, .hi = 4096, .help = "layers (default 2)",
     .lesson_sets = LS_MODEL},
    {.name = "d-ff", .arg = "F", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_shape_int, .field = F(cfg.d_ff),
     .flag = F(d_ff_given), .lo = 1, .hi = CONFIG_MAX_DIM, .help = "feed-forward width (default 4*d)",
     .lesson_sets = LS_MODEL},
    {.name = "kv-heads", .arg = "K", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_shape_int,
     .field = F(kv_heads_given), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "K/V heads, dividing H: 1 = multi-query,\n"
             "H = multi-head (default H)",
     .lesson_sets = LS_MODEL},
    {.name = "window", .arg = "W", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.window), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "sliding-window attention over the last W\n"
             "positions (default none)",
     .lesson_sets = LS_MODEL},
    {.name = "block-size", .arg = "B", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.block_size), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "paged KV cache: blocks of B positions\n"
             "(1..max-seq) in a shared pool, one block table\n"
             "per sequence (default none)",
     .lesson_sets = LS_MODEL},
    {.name = "prefix-cache", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_flag,
     .field = F(cfg.prefix_cache),
     .help = "prefix sharing: a later --prompt takes the full\n"
             "blocks of an identical prompt prefix from an\n"
             "earlier one (needs --block-size; with --window\n"
             "only rows the earlier one still holds)",
     .lesson_sets = LS_MODEL},
    {.name = "rope", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_flag, .field = F(cfg.rope),
     .help = "rotary positions: q and k turned by their\n"
             "position in every layer, no position table\n"
             "(d-model / heads must be even)",
     .lesson_sets = LS_MODEL},
    {.name = "rope-offset-bug", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_flag,
     .field = F(cfg.rope_offset_bug),
     .help = "teaching switch (needs --rope): decode turns\n"
             "its row as position 0, so the cache no longer\n"
             "fits and the logits differ from recompute",
     .lesson_sets = LS_MODEL},
    {.name = "chunk", .arg = "C", .cmds = CLI_ON_SERVE, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.chunk), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "chunked prefill: the prompt in steps of at\n"
             "most C rows, each attending to every earlier\n"
             "position (cache mode; default: one step)",
     .lesson_sets = LS_MODEL},
    {.name = "speculate", .arg = "K", .cmds = CLI_ON_SERVE, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.speculate), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "speculative decoding by prompt lookup: draft\n"
             "up to K tokens, verify them in one step (cache\n"
             "mode; default: none)",
     .lesson_sets = LS_MODEL},
    {.name = "max-seq", .arg = "N", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.max_seq), .lo = 1, .hi = CONFIG_MAX_DIM, .help = "context length (default 64)",
     .lesson_sets = LS_MODEL},
    {.name = "seed", .arg = "S", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_shape_seed,
     .help = "weight seed, 0 to 18446744073709551615 (default 42)",
     .lesson_sets = LS_MODEL},
    {.name = "model", .arg = "FILE", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_text,
     .field = F(model_path),
     .help = "run a trained model file (docs/model-format.md)\n"
             "instead of the built-in default.kvsim; not with\n"
             "--d-model, --heads, --kv-heads, --layers, --d-ff\n"
             "or --seed (--window, --block-size and --max-seq\n"
             "up to the file's still apply)",
     .lesson_sets = LS_MODEL},
    {.name = "allow-large", .cmds = CLI_ON_RUN, .group = MODEL_OPTS, .set = set_flag, .field = F(allow_large),
     .help = "run even when it needs more than 5e10\n"
             "multiply-accumulates (cache + recompute + train,\n"
             "closed form), which is refused before it starts"},

    /* output */
    {.name = "format", .arg = "table|csv|json", .cmds = CMD_BIT(CMD_TRACE), .group = "Output:",
     .set = set_format, .choices = "table|csv|json", .help = "output format (default table)"},
    {.name = "mode", .arg = "cache|recompute|both|train", .cmds = CMD_BIT(CMD_TRACE), .group = "Output:",
     .set = set_trace_mode, .choices = "cache|recompute|both|train",
     .help = "modes to print (default both: cache, recompute and train)"},
    {.name = "format", .arg = "json", .cmds = CMD_BIT(CMD_EXPORT), .group = "Output:", .set = set_format,
     .choices = "json", .help = "the only format, and the default"},

    /* the screen */
    {.name = "mode", .arg = "cache|recompute|compare|train|memory", .cmds = CLI_ON_VIEW, .group = "Screen:",
     .set = set_view, .choices = "cache|recompute|compare|train|memory",
     .help = "view to start in (default cache)", .lesson_sets = LS_MODE},
    {.name = "lang", .arg = "en|zh", .cmds = CLI_ON_SCREEN, .group = "Screen:", .set = set_lang,
     .choices = "en|zh", .help = "language of the UI (default: from the locale)"},
    {.name = "no-color", .cmds = CLI_ON_SCREEN, .group = "Screen:", .set = set_flag, .field = F(no_color),
     .help = "monochrome (also when NO_COLOR is set)"},
    {.name = "ascii", .cmds = CLI_ON_SCREEN, .group = "Screen:", .set = set_flag, .field = F(ascii),
     .help = "ASCII glyphs instead of box drawing and shades"},
    {.name = "present", .cmds = CMD_BIT(CMD_UI) | CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_flag,
     .field = F(present),
     .help = "presenter mode: mask, cache and cost in large\n"
             "type for a projector (z toggles it)", .lesson_sets = LS_PRESENT},
    {.name = "goto", .arg = "STEP[.OP]", .cmds = CMD_BIT(CMD_UI) | CMD_BIT(CMD_FRAMES), .group = "Screen:",
     .set = set_goto,
     .help = "start at the end of token step STEP (or just\n"
             "after its operation OP): resume a class", .lesson_sets = LS_GOTO},
    {.name = "size", .arg = "WxH", .cmds = CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_size,
     .help = "screen size (default 80x24)"},
    {.name = "steps", .arg = "K", .cmds = CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_int,
     .field = F(steps), .lo = 0, .hi = 100000,
     .help = "without --keys: K token steps (default: --gen;\n"
             "with --lesson " STR(CONFIG_DEFAULT_GEN) ")"},
    {.name = "keys", .arg = "KEYS", .cmds = CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_text,
     .field = F(keys),
     .help = "keys to replay, one frame after each; <Right>\n"
             "<Left> <Up> <Down> <Home> <End> <Space> <Enter>\n"
             "<Esc> <Backspace> <Tab> <PgDn>\n"
             "<PgUp> name keys; any other character is itself"},
    {.name = "lesson", .arg = "N|FILE", .cmds = CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_text,
     .field = F(lesson),
     .help = "show lesson N (or a lesson file) from its first\n"
             "slide; its slides set the run, view and position,\n"
             "so with it only --size, --steps, --keys, --lang,\n"
             "--no-color, --ascii and --allow-large apply"},

    /* lessons */
    {.name = "print", .cmds = CMD_BIT(CMD_LESSON), .group = "Lesson:", .set = set_flag, .field = F(print),
     .help = "with N or FILE: print the lesson as text\n"
             "instead of playing it"},
    {.name = "reset-progress", .cmds = CMD_BIT(CMD_LESSON), .group = "Lesson:", .set = set_flag,
     .field = F(reset_progress), .help = "forget your progress (delete the progress file)"},
    {.name = "allow-large", .cmds = CMD_BIT(CMD_LESSON), .group = "Lesson:", .set = set_flag,
     .field = F(allow_large),
     .help = "play, print or check a lesson whose slides\n"
             "need more than 5e10 multiply-accumulates\n"
             "(refused by default)"},

    /* calc */
    {.name = "model", .arg = "NAME", .cmds = CMD_BIT(CMD_CALC), .group = "Model:", .set = set_text,
     .field = F(calc.model),
     .help = "gpt2, llama-2-7b, llama-3-8b, mistral-7b,\n"
             "opt-13b; the shape options below then change\n"
             "that shape"},
    {.name = "d-model", .arg = "d", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.d_model), .lo = 1, .hi = (long long)CALC_MAX_VALUE, .help = "model width"},
    {.name = "layers", .arg = "Lyr", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.n_layers), .lo = 1, .hi = (long long)CALC_MAX_VALUE, .help = "layers"},
    {.name = "heads", .arg = "H", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.n_heads), .lo = 1, .hi = (long long)CALC_MAX_VALUE, .help = "attention heads"},
    {.name = "d-ff", .arg = "F", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.d_ff), .lo = 1, .hi = (long long)CALC_MAX_VALUE, .help = "feed-forward width"},
    {.name = "vocab", .arg = "V", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.vocab), .lo = 1, .hi = (long long)CALC_MAX_VALUE, .help = "vocabulary size"},
    {.name = "kv-heads", .arg = "Hkv", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.n_kv_heads), .lo = 1, .hi = (long long)CALC_MAX_VALUE,
     .help = "K/V heads, dividing H (default H; 1 = multi-query)"},
    {.name = "window", .arg = "W", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.window), .flag = F(calc.window_set), .lo = 0, .hi = (long long)CALC_MAX_VALUE,
     .help = "sliding window: the cache keeps W positions (0 = none)"},
    {.name = "ffn-matrices", .arg = "M", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.ffn_matrices), .lo = 2, .hi = 3,
     .help = "2: W1, W2 (GPT-2, OPT; default);\n"
             "3: gated (LLaMA, Mistral)"},
    {.name = "pos-embeddings", .arg = "N", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_u64,
     .field = F(calc.pos_embeddings), .flag = F(calc.pos_set), .lo = 0, .hi = (long long)CALC_MAX_VALUE,
     .help = "rows of a learned position table\n"
             "(default 0: rotary)"},
    {.name = "tied-embeddings", .arg = "yes|no", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE,
     .set = set_yes_no, .field = F(calc.tied), .flag = F(calc.tied_set), .choices = "yes|no",
     .help = "head shares the embedding table (default no)"},
    {.name = "biases", .arg = "yes|no", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_yes_no,
     .field = F(calc.biases), .flag = F(calc.biases_set), .choices = "yes|no",
     .help = "projections have biases (default no)"},
    {.name = "norm", .arg = "layer|rms", .cmds = CMD_BIT(CMD_CALC), .group = CALC_SHAPE, .set = set_norm,
     .choices = "layer|rms",
     .help = "LayerNorm (2*d parameters) or RMSNorm (d)\n"
             "(default layer)"},
    {.name = "context", .arg = "T", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_u64,
     .field = F(calc.in.context), .flag = F(calc.context_set), .lo = 1, .hi = (long long)CALC_MAX_VALUE,
     .help = "tokens per sequence (default: the model's\n"
             "context; 4096)"},
    {.name = "batch", .arg = "B", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_u64,
     .field = F(calc.in.batch), .lo = 1, .hi = (long long)CALC_MAX_VALUE,
     .help = "sequences decoded together (default 1)"},
    {.name = "dtype", .arg = "D", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_dtype,
     .choices = "fp32|fp16|bf16|int8",
     .help = "fp32 | fp16 | bf16 | int8, weights and cache\n"
             "(default fp16)"},
    {.name = "memory", .arg = "SIZE", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_memory,
     .help = "accelerator memory, e.g. 80GiB (2^30 B) or\n"
             "80GB (10^9 B); units B KB MB GB TB KiB MiB GiB TiB"},
    {.name = "balance", .arg = "X", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_balance,
     .help = "machine balance in FLOP/byte (default 295:\n"
             "H100 SXM bf16 dense, 989 TFLOP/s / 3.35 TB/s)"},
    {.name = "speculate", .arg = "K", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_u64,
     .field = F(calc.in.speculate), .flag = F(calc.spec_set), .lo = 1, .hi = 1000,
     .help = "speculative decoding: K drafts per verify step\n"
             "(default 4; prints the steps it saves)"},
    {.name = "acceptance", .arg = "A", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_acceptance,
     .help = "chance each draft is accepted, 0 to 1\n"
             "(default 0.7)"},
    {.name = "shared-prefix", .arg = "S", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_u64,
     .field = F(calc.in.shared_prefix), .flag = F(calc.prefix_set), .lo = 1, .hi = (long long)CALC_MAX_VALUE,
     .help = "prefix sharing: the --batch sequences begin with\n"
             "the same S-token system prompt (S <= T); prints\n"
             "the KV bytes with and without sharing"},
    {.name = "block-size", .arg = "P", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_u64,
     .field = F(calc.in.block_size), .flag = F(calc.block_set), .lo = 1, .hi = (long long)CALC_MAX_VALUE,
     .help = "positions per KV block for --shared-prefix\n"
             "(default 16); only full blocks are shared"},
    {.name = "format", .arg = "table|json", .cmds = CMD_BIT(CMD_CALC), .group = "Run:", .set = set_second,
     .field = F(calc.json), .choices = "table|json", .help = "output format (default table)"},

    /* bench */
    {.name = "format", .arg = "table|json", .cmds = CMD_BIT(CMD_BENCH), .group = "Bench:", .set = set_second,
     .field = F(bench.json), .choices = "table|json", .help = "output format (default table)"},
    {.name = "runs", .arg = "N", .cmds = CMD_BIT(CMD_BENCH), .group = "Bench:", .set = set_int,
     .field = F(bench.runs), .lo = 1, .hi = BENCH_MAX_RUNS,
     .help = "timed runs of cache mode, and of recompute\n"
             "mode for the tiny shape, each after one untimed\n"
             "warm-up (default 7)"},
    {.name = "recompute-runs", .arg = "M", .cmds = CMD_BIT(CMD_BENCH), .group = "Bench:", .set = set_int,
     .field = F(bench.recompute_runs), .lo = 1, .hi = BENCH_MAX_RUNS,
     .help = "timed recompute runs of d64-T1024 and\n"
             "d288-T256, no warm-up; each takes tens of\n"
             "seconds (default 1)"},
    {.name = "shape", .arg = "NAME", .cmds = CMD_BIT(CMD_BENCH), .group = "Bench:", .set = set_shape,
     .choices = "tiny|d64-T1024|d288-T256", .help = "only this shape (repeatable)"},
    {.name = "quick", .cmds = CMD_BIT(CMD_BENCH), .group = "Bench:", .set = set_quick,
     .help = "only the tiny shape (= --shape tiny)"},
    {.name = "no-ui", .cmds = CMD_BIT(CMD_BENCH), .group = "Bench:", .set = set_flag, .field = F(bench.no_ui),
     .help = "skip the UI frame time"},
    {.name = "cpu", .arg = "N", .cmds = CMD_BIT(CMD_BENCH), .group = "Bench:", .set = set_int,
     .field = F(bench.cpu), .lo = 0, .hi = BENCH_MAX_CPUS - 1,
     .help = "run every measurement on CPU N (default: the\n"
             "CPU whose 16 MiB read sweep is fastest)"},
    {.name = "save-machine", .arg = "FILE", .arg_optional = true, .cmds = CMD_BIT(CMD_BENCH), .group = "Bench:",
     .set = set_save_machine,
     .help = "also keep the machine measured (read GB/s,\n"
             "peak GFLOP/s, CPU, date) for the memory view's\n"
             "roofline, in FILE; without =FILE in\n"
             "$KVSIM_MACHINE_FILE, else\n"
             "$XDG_CONFIG_HOME/kvsim/machine, else\n"
             "~/.config/kvsim/machine (default: not kept)"},

    /* every command; .set NULL: handled by the parser */
    /* kvsim train (ui/cmd/train.c parses them; keep both in step:
     * tests/test_help.sh compares its getopt table with this --help) */
    {.name = "out", .arg = "FILE", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "model file to write (default models/default.kvsim)"},
    {.name = "data", .arg = "DIR", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "corpus.txt and alphabet-extra.txt (default data)"},
    {.name = "steps", .arg = "N", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "optimiser steps, 1 to 10,000,000 (default 3500)"},
    {.name = "copy-steps", .arg = "N", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "phase 1: copy rows only for the first N steps\n"
             "(default 800)"},
    {.name = "copy-pct", .arg = "P", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "phase 2: P% copy rows (default 30)"},
    {.name = "words-pct", .arg = "P", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "phase 2: P% rows of corpus words in new orders\n"
             "(default 25); the rest is corpus text"},
    {.name = "repeat-pct", .arg = "P", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "phase 2: P% rows of one or two corpus sentences\n"
             "written and repeated (default 25)"},
    {.name = "swap-pct", .arg = "P", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "repeat rows: each word swapped with chance P%\n"
             "(default 0)"},
    {.name = "same-lang", .arg = "0|1", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "1: a words row keeps to one language (default 1)"},
    {.name = "copy-min", .arg = "L", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "shortest copy phrase (default 3)"},
    {.name = "copy-max", .arg = "L", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "longest copy phrase (default 20)"},
    {.name = "short-steps", .arg = "N", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "over the first N steps the longest copy phrase\n"
             "grows from --short-max to --copy-max (default 0:\n"
             "off)"},
    {.name = "short-max", .arg = "L", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "the longest copy phrase at step 0 of\n"
             "--short-steps (default 8)"},
    {.name = "mask-first", .arg = "0|1", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "1: no loss on a copy row's first, unpredictable\n"
             "copy (default 1)"},
    {.name = "emb-std", .arg = "X", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "initial token and position embeddings N(0, X)\n"
             "(default 1)"},
    {.name = "tied", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "the head is the token embedding transposed\n"
             "(default: untied)"},
    {.name = "batch", .arg = "B", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "sequences per step, each --max-seq long\n"
             "(default 32)"},
    {.name = "lr", .arg = "X", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "peak learning rate (default 0.01)"},
    {.name = "warmup", .arg = "N", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "learning-rate warm-up steps (default 100)"},
    {.name = "seed", .arg = "S", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "weights and data seed (default 1)"},
    {.name = "every", .arg = "N", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "a progress line every N steps (default 250)"},
    {.name = "resume", .arg = "FILE", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "continue from a checkpoint (Ctrl-C writes\n"
             "OUT.ckpt)"},
    {.name = "eval", .arg = "FILE", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "only measure a model file: copy accuracy, heads,\n"
             "prompts"},
    {.name = "show-alphabet", .cmds = CMD_BIT(CMD_TRAIN), .group = "Train:", .set = set_train_opt,
     .help = "print the alphabet the data makes (or --eval\n"
             "FILE's) and exit"},
    {.name = "d-model", .arg = "d", .cmds = CMD_BIT(CMD_TRAIN), .group = "Shape of the model to train:", .set = set_train_opt,
     .help = "model width (default 32)"},
    {.name = "heads", .arg = "H", .cmds = CMD_BIT(CMD_TRAIN), .group = "Shape of the model to train:", .set = set_train_opt,
     .help = "attention heads, dividing d (default 2)"},
    {.name = "kv-heads", .arg = "K", .cmds = CMD_BIT(CMD_TRAIN), .group = "Shape of the model to train:", .set = set_train_opt,
     .help = "K/V heads, dividing H (default H)"},
    {.name = "layers", .arg = "N", .cmds = CMD_BIT(CMD_TRAIN), .group = "Shape of the model to train:", .set = set_train_opt,
     .help = "layers, 1 to 64 (default 2)"},
    {.name = "d-ff", .arg = "F", .cmds = CMD_BIT(CMD_TRAIN), .group = "Shape of the model to train:", .set = set_train_opt,
     .help = "feed-forward width (default 4*d)"},
    {.name = "max-seq", .arg = "N", .cmds = CMD_BIT(CMD_TRAIN), .group = "Shape of the model to train:", .set = set_train_opt,
     .help = "context trained for, 2 to 4096 (default 64)"},
    {.name = "window", .arg = "W", .cmds = CMD_BIT(CMD_TRAIN), .group = "Shape of the model to train:", .set = set_train_opt,
     .help = "sliding-window attention (default none)"},
    {.name = "rope", .cmds = CMD_BIT(CMD_TRAIN), .group = "Shape of the model to train:", .set = set_train_opt,
     .help = "rotary positions (spec §6.10) instead of a\n"
             "learned position table"},
    {.name = "help", .short_name = 'h', .cmds = CLI_ON_ALL | CMD_BIT(CMD_TRAIN), .group = "General:",
     .help = "this text (kvsim --help: every command)"},
    {.name = "version", .cmds = CLI_ON_ALL, .group = "General:", .help = "the version"},
};
const int cli_n_options = (int)(sizeof cli_options / sizeof cli_options[0]);
#undef F
