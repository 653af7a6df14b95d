/* cli: see cli.h. One table of commands, one table of options; parsing and
 * every --help text are read from them. */
#include "ui/cmd/cli.h"

#include "sim/bench.h"
#include "sim/budget.h"
#include "sim/tokenizer.h"
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

typedef struct {
    Command cmd;
    const char *name;      /* as typed; "" for the UI */
    const char *synopsis;  /* usage lines after "kvsim NAME" ('\n' between lines) */
    const char *summary;   /* one line of the overview */
    const char *about;     /* top of its --help: what it does */
} CliCommand;

static const CliCommand commands[] = {
    {CMD_UI, "", "[OPTIONS]", "start the terminal UI",
     "Step a tiny decoder-only transformer through prefill and decode, with and\n"
     "without a KV cache, and count every multiply-accumulate."},
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
     "named 5)."},
    {CMD_CALC, "calc", "[--model NAME | SHAPE] [OPTIONS]",
     "KV cache and FLOP arithmetic for real models",
     "Apply the counting closed forms to a real model's shape: KV cache bytes, weight\n"
     "bytes, FLOPs per token (prefill, decode with and without the cache), bytes moved\n"
     "per decode step, arithmetic intensity, and what fits in memory. Nothing is run.\n"
     "Formulas and sources: docs/calc.md."},
    {CMD_BENCH, "bench", "[OPTIONS]", "tokens/s with and without the cache, GFLOP/s",
     "Time the forward pass: for each shape, generate a whole sequence (a 1-token\n"
     "prompt, then G = T-1 tokens) in cache mode and in recompute mode, on one\n"
     "thread, and print tokens per second (median of the timed runs), the measured\n"
     "speed-up, the speed-up the operation counts predict (recompute MACs / cache\n"
     "MACs) and GFLOP/s (2 x measured MACs per second). Then the UI frame time, as\n"
     "'kvsim bench-ui' measures it. Takes about 1.5 minutes (docs/performance.md).\n"
     "\n"
     "Shapes:  tiny       d 8,   H 2, 2 layers, F 32,  T 64 (the default model)\n"
     "         d64-T1024  d 64,  H 2, 2 layers, F 256, T 1024\n"
     "         d288-T256  d 288, H 6, 6 layers, F 768, T 256"},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static const CliCommand *command_of(Command cmd)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (commands[i].cmd == cmd) return &commands[i];
    return &commands[0];
}

const char *cli_command_name(Command cmd)
{
    return command_of(cmd)->name;
}

/* ---- the options ----------------------------------------------------------
 * To add an option: one row in `options` below. .cmds says which commands
 * take it (a name may have one row per group of commands, each with its
 * own meaning); .set converts and stores the value: the generic setters
 * (set_int, set_u64, set_flag, set_text) store into the CliOptions member
 * at .field, range-checked with .lo/.hi, and set the bool at .flag (when
 * not 0) to say it was given; a new kind of value gets a setter of its own
 * next to them. The help text (.help, '\n' between lines) is printed under
 * the .group heading by `kvsim CMD --help`. */

#define CMD_BIT(c) (1u << (c))
#define ON_MODEL (CMD_BIT(CMD_UI) | CMD_BIT(CMD_TRACE) | CMD_BIT(CMD_EXPORT) | CMD_BIT(CMD_FRAMES) | \
                  CMD_BIT(CMD_BENCH_UI) | CMD_BIT(CMD_LESSON))
#define ON_SCREEN (CMD_BIT(CMD_UI) | CMD_BIT(CMD_FRAMES) | CMD_BIT(CMD_LESSON) | CMD_BIT(CMD_BENCH_UI))
#define ON_VIEW (CMD_BIT(CMD_UI) | CMD_BIT(CMD_FRAMES) | CMD_BIT(CMD_LESSON))
#define ON_ALL (ON_MODEL | CMD_BIT(CMD_CALC) | CMD_BIT(CMD_BENCH))

typedef struct CliOpt CliOpt;
typedef int (*CliSetter)(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen);

struct CliOpt {
    const char *name;      /* long name, without "--" */
    char short_name;       /* -X, or 0 */
    const char *arg;       /* the value's name in help ("G", "table|csv|json"); NULL: a flag */
    unsigned cmds;         /* CMD_BIT()s of the commands that take it */
    const char *group;     /* help heading */
    CliSetter set;
    size_t field;          /* offsetof(CliOptions, ...) for the generic setters */
    size_t flag;           /* offsetof a bool set when given; 0: none */
    long long lo, hi;      /* range of a number */
    const char *choices;   /* "a|b|c" for a word from a list (message and check) */
    const char *help;
};

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

static int set_shape(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    const int i = pick(r, v, err, errlen);   /* the order of bench_default_specs */
    if (i < 0) return -1;
    o->bench.shapes |= 1u << i;
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
#define CALC_SHAPE "Shape (a custom shape needs --d-model, --layers, --heads, --d-ff, --vocab):"

static const CliOpt options[] = {
    /* the model and the run: every command that runs the tiny model */
    {.name = "prompt", .arg = "TEXT", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_prompt,
     .help = "prompt, one token per character (default\n"
             "\"" CONFIG_DEFAULT_PROMPT "\"); give it up to 16 times for a batch\n"
             "(trace and the UI's memory view run every\n"
             "sequence, sharing one block pool)"},
    {.name = "gen", .arg = "G", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int, .field = F(gen),
     .lo = 1, .hi = CONFIG_MAX_DIM, .help = "tokens to generate (default 8); prompt + G <= max-seq"},
    {.name = "d-model", .arg = "d", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.d_model), .lo = 1, .hi = CONFIG_MAX_DIM, .help = "model width (default 8)"},
    {.name = "heads", .arg = "H", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.n_heads), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "attention heads; d must be divisible by H (default 2)"},
    {.name = "layers", .arg = "N", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.n_layers), .lo = 1, .hi = 4096, .help = "layers (default 2)"},
    {.name = "d-ff", .arg = "F", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int, .field = F(cfg.d_ff),
     .flag = F(d_ff_given), .lo = 1, .hi = CONFIG_MAX_DIM, .help = "feed-forward width (default 4*d)"},
    {.name = "kv-heads", .arg = "K", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int,
     .field = F(kv_heads_given), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "K/V heads, dividing H: 1 = multi-query,\n"
             "H = multi-head (default H)"},
    {.name = "window", .arg = "W", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.window), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "sliding-window attention over the last W\n"
             "positions (default none)"},
    {.name = "block-size", .arg = "B", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.block_size), .lo = 1, .hi = CONFIG_MAX_DIM,
     .help = "paged KV cache: blocks of B positions\n"
             "(1..max-seq) in a shared pool, one block table\n"
             "per sequence (default none)"},
    {.name = "max-seq", .arg = "N", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_int,
     .field = F(cfg.max_seq), .lo = 1, .hi = CONFIG_MAX_DIM, .help = "context length (default 64)"},
    {.name = "seed", .arg = "S", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_seed,
     .help = "weight seed, 0 to 18446744073709551615 (default 42)"},
    {.name = "allow-large", .cmds = ON_MODEL, .group = MODEL_OPTS, .set = set_flag, .field = F(allow_large),
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
    {.name = "mode", .arg = "cache|recompute|compare|train|memory", .cmds = ON_VIEW, .group = "Screen:",
     .set = set_view, .choices = "cache|recompute|compare|train|memory",
     .help = "view to start in (default cache)"},
    {.name = "lang", .arg = "en|zh", .cmds = ON_SCREEN, .group = "Screen:", .set = set_lang,
     .choices = "en|zh", .help = "language of the UI (default: from the locale)"},
    {.name = "no-color", .cmds = ON_SCREEN, .group = "Screen:", .set = set_flag, .field = F(no_color),
     .help = "monochrome (also when NO_COLOR is set)"},
    {.name = "ascii", .cmds = ON_SCREEN, .group = "Screen:", .set = set_flag, .field = F(ascii),
     .help = "ASCII glyphs instead of box drawing and shades"},
    {.name = "size", .arg = "WxH", .cmds = CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_size,
     .help = "screen size (default 80x24)"},
    {.name = "steps", .arg = "K", .cmds = CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_int,
     .field = F(steps), .lo = 0, .hi = 100000, .help = "without --keys: K token steps (default: --gen)"},
    {.name = "keys", .arg = "KEYS", .cmds = CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_text,
     .field = F(keys),
     .help = "keys to replay, one frame after each; <Right>\n"
             "<Left> <Up> <Down> <Home> <End> <Space> <Enter>\n"
             "<Esc> <Backspace> <Tab> <PgDn>\n"
             "<PgUp> name keys; any other character is itself"},
    {.name = "lesson", .arg = "N|FILE", .cmds = CMD_BIT(CMD_FRAMES), .group = "Screen:", .set = set_text,
     .field = F(lesson), .help = "show lesson N (or a lesson file) from its first slide"},

    /* lessons */
    {.name = "print", .cmds = CMD_BIT(CMD_LESSON), .group = "Lesson:", .set = set_flag, .field = F(print),
     .help = "with N or FILE: print the lesson as text\n"
             "instead of playing it"},
    {.name = "reset-progress", .cmds = CMD_BIT(CMD_LESSON), .group = "Lesson:", .set = set_flag,
     .field = F(reset_progress), .help = "forget your progress (delete the progress file)"},

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

    /* every command; .set NULL: handled by the parser */
    {.name = "help", .short_name = 'h', .cmds = ON_ALL, .group = "General:",
     .help = "this text (kvsim --help: every command)"},
    {.name = "version", .cmds = ON_ALL, .group = "General:", .help = "the version"},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };
#undef F

/* ---- values -------------------------------------------------------------- */

const char *cli_clip(const char *s)
{
    static char bufs[4][64];
    static int next;
    char *b = bufs[next++ & 3];
    size_t n = strlen(s);
    if (n <= 48) return s;
    n = 48;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;   /* not inside a character */
    memcpy(b, s, n);
    memcpy(b + n, "\u2026", sizeof "\u2026");
    return b;
}

int cli_parse_int(const char *name, const char *s, long long lo, long long hi, long long *out,
                  char *err, size_t errlen)
{
    /* digits, or '-' and digits: strtoll alone would take " 5" and "+5" */
    const char *d = *s == '-' ? s + 1 : s;
    size_t nd = strspn(d, "0123456789");
    if (nd == 0 || d[nd] != '\0')
        FAIL("--%s '%s': not a number; expected an integer from %lld to %lld", name, cli_clip(s), lo, hi);
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi)
        FAIL("--%s %s: out of range; expected an integer from %lld to %lld", name, cli_clip(s), lo, hi);
    *out = v;
    return 0;
}

/* ---- parsing ------------------------------------------------------------- */

static int find_command(const char *word)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (commands[i].cmd != CMD_UI && !strcmp(word, commands[i].name)) return (int)commands[i].cmd;
    return -1;
}

static const char *command_list(void)
{
    static char buf[160];
    size_t j = 0;
    for (int i = 1; i < N_COMMANDS; i++)
        j += (size_t)snprintf(buf + j, sizeof buf - j, "%s%s", commands[i].name,
                              i + 2 < N_COMMANDS ? ", " : i + 1 < N_COMMANDS ? " or " : "");
    return buf;
}

/* The rows of long option `name` (n bytes) for the commands in `cmds`:
 * the exact name, else the one name it abbreviates. Returns the row, NULL
 * when none; *ambiguous is set when it abbreviates several names. */
static const CliOpt *find_long(const char *name, size_t n, unsigned cmds, bool *ambiguous)
{
    const CliOpt *hit = NULL;
    *ambiguous = false;
    for (int i = 0; i < N_OPTIONS; i++)
        if ((options[i].cmds & cmds) && strlen(options[i].name) == n && !strncmp(options[i].name, name, n))
            return &options[i];
    for (int i = 0; i < N_OPTIONS; i++) {
        const CliOpt *r = &options[i];
        if (!(r->cmds & cmds) || strncmp(r->name, name, n)) continue;
        if (hit && strcmp(hit->name, r->name)) *ambiguous = true;   /* several names */
        if (!hit) hit = r;
    }
    return *ambiguous ? NULL : hit;
}

/* "--d-model --d-ff": the names of cmd's options that start with name[0..n) */
static const char *possibilities(const char *name, size_t n, unsigned cmds)
{
    static char buf[256];
    size_t j = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_OPTIONS; i++) {
        const CliOpt *r = &options[i];
        if (!(r->cmds & cmds) || strncmp(r->name, name, n)) continue;
        bool dup = false;
        for (int k = 0; k < i; k++)
            if ((options[k].cmds & cmds) && !strcmp(options[k].name, r->name)) dup = true;
        if (!dup && j + strlen(r->name) + 4 < sizeof buf)
            j += (size_t)snprintf(buf + j, sizeof buf - j, "%s--%s", j ? " " : "", r->name);
    }
    return buf;
}

/* "'kvsim frames', 'kvsim lesson' and the UI" */
static const char *commands_of(unsigned cmds)
{
    static char buf[256];
    int total = 0, k = 0;
    for (int i = 0; i < N_COMMANDS; i++) total += (cmds & CMD_BIT(commands[i].cmd)) != 0;
    size_t j = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_COMMANDS; i++) {
        if (!(cmds & CMD_BIT(commands[i].cmd))) continue;
        k++;
        const char *sep = k == 1 ? "" : k == total ? " and " : ", ";
        if (commands[i].cmd == CMD_UI)
            j += (size_t)snprintf(buf + j, sizeof buf - j, "%sthe UI", sep);
        else
            j += (size_t)snprintf(buf + j, sizeof buf - j, "%s'kvsim %s'", sep, commands[i].name);
        if (j >= sizeof buf) break;
    }
    return buf;
}

static unsigned name_cmds(const char *name)
{
    unsigned c = 0;
    for (int i = 0; i < N_OPTIONS; i++)
        if (!strcmp(options[i].name, name)) c |= options[i].cmds;
    return c;
}

/* The message for an unknown short option character c of argument arg. */
static int bad_short(unsigned char c, const char *arg, const char *for_cmd, char *err, size_t errlen)
{
    if (c > 0x20 && c < 0x7F) FAIL("-%c: unknown option%s", c, for_cmd);
    if (c >= 0x80) FAIL("%s: unknown option%s", cli_clip(arg), for_cmd);
    FAIL("-\\x%02x: unknown option (a control character)%s", (unsigned)c, for_cmd);
}

/* Whether argv[i] is an option whose value is the next argument, judged
 * against every command's options (the command is not known yet). */
static bool takes_next(const char *a)
{
    if (a[0] != '-' || a[1] == '\0') return false;
    if (a[1] == '-') {
        if (strchr(a, '=')) return false;
        size_t n = strlen(a + 2);
        bool any = false, all = true;
        for (int i = 0; i < N_OPTIONS; i++)
            if (!strncmp(options[i].name, a + 2, n)) {
                any = true;
                all &= options[i].arg != NULL;
            }
        return any && all;
    }
    for (const char *p = a + 1; *p; p++)
        for (int i = 0; i < N_OPTIONS; i++)
            if (options[i].short_name == *p) {
                if (options[i].arg) return p[1] == '\0';
                break;
            }
    return false;
}

/* Move argv[i] to the end of argv[i..argc); the rest shift down. */
static void rotate_to_end(char **argv, int i, int argc)
{
    char *w = argv[i];
    memmove(argv + i, argv + i + 1, sizeof(char *) * (size_t)(argc - i - 1));
    argv[argc - 1] = w;
}

static void defaults(CliOptions *o)
{
    memset(o, 0, sizeof *o);
    o->cmd = CMD_UI;
    o->help_for = CMD_UI;
    o->cfg = config_default();
    o->cfg.vocab = tokenizer_vocab();
    o->prompt = o->prompts[0] = CONFIG_DEFAULT_PROMPT;
    o->n_prompts = 1;
    o->gen = CONFIG_DEFAULT_GEN;
    o->format = FORMAT_TABLE;
    o->trace_modes = TRACE_CACHE | TRACE_RECOMPUTE | TRACE_TRAIN;
    o->view = VIEW_CACHE;
    o->width = 80;
    o->height = 24;
    o->steps = -1;
    o->calc.in.batch = 1;
    o->calc.in.dtype = CALC_FP16;
    o->calc.in.balance = CALC_DEFAULT_BALANCE;
    o->bench.runs = 7;
    o->bench.recompute_runs = 1;
}

/* Apply row r with value v (NULL for a flag). 1 = stop (help/version). */
static int apply(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen)
{
    if (!strcmp(r->name, "help")) {
        o->help_for = o->cmd;
        o->cmd = CMD_HELP;
        return 1;
    }
    if (!strcmp(r->name, "version")) {
        o->cmd = CMD_VERSION;
        return 1;
    }
    return r->set(o, r, v, err, errlen) ? -1 : 0;
}

int cli_parse(int argc, char **argv, CliOptions *o, char *err, size_t errlen)
{
    defaults(o);

    /* 1. the command: the first word that is neither an option nor a value */
    int cmd_at = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            if (i + 1 < argc) cmd_at = i + 1;
            break;
        }
        if (a[0] == '-' && a[1] != '\0') {
            if (takes_next(a)) i++;
            continue;
        }
        cmd_at = i;
        break;
    }
    bool help_word = false;
    if (cmd_at) {
        const char *w = argv[cmd_at];
        int c = find_command(w);
        if (!strcmp(w, "help")) help_word = true;
        else if (c < 0) FAIL("'%s': unknown command; expected %s", cli_clip(w), command_list());
        else o->cmd = (Command)c;
    }
    const Command cmd = o->cmd;
    const unsigned mine = CMD_BIT(cmd);
    char for_cmd[40] = "";
    if (cmd != CMD_UI) snprintf(for_cmd, sizeof for_cmd, " for 'kvsim %s'", cli_command_name(cmd));

    /* 2. the options, in order; other words go to the end of argv */
    int end = argc;
    bool only_words = false;
    for (int i = 1; i < end;) {
        const char *a = argv[i];
        if (i == cmd_at) {   /* the command word itself stays where it is */
            i++;
            continue;
        }
        if (!only_words && !strcmp(a, "--")) {
            only_words = true;
            i++;
            continue;
        }
        if (only_words || a[0] != '-' || a[1] == '\0') {   /* a word */
            if (i < cmd_at) cmd_at--;
            rotate_to_end(argv, i, argc);
            end--;
            continue;
        }
        if (a[1] == '-') {   /* --name, --name=value */
            const char *name = a + 2, *eq = strchr(name, '=');
            const size_t n = eq ? (size_t)(eq - name) : strlen(name);
            bool amb;
            const CliOpt *r = find_long(name, n, mine, &amb);
            char nm[128];   /* the name as typed, for messages */
            snprintf(nm, sizeof nm, "%.*s", (int)(n < sizeof nm - 1 ? n : sizeof nm - 1), name);
            if (amb)
                FAIL("option '--%s' is ambiguous; possibilities: %s", cli_clip(nm), possibilities(name, n, mine));
            if (!r) {
                const unsigned others = n < sizeof nm ? name_cmds(nm) : 0;
                if (others)
                    FAIL("--%s: only for %s%s", nm, commands_of(others),
                         !strcmp(nm, "lesson") ? " (use 'kvsim lesson N' to play one)" : "");
                FAIL("--%s: unknown option%s", cli_clip(nm), for_cmd);
            }
            const char *v = NULL;
            if (r->arg) {
                if (eq) v = eq + 1;
                else if (i + 1 < end && i + 1 != cmd_at) v = argv[++i];
                else FAIL("%s: missing value", cli_clip(a));
            } else if (eq) {
                FAIL("--%s: takes no value", cli_clip(nm));
            }
            int rc = apply(o, r, v, err, errlen);
            if (rc) return rc < 0 ? -1 : 0;
            i++;
            continue;
        }
        /* -x: short options, flags may be grouped (-hV) */
        int next = i + 1;
        for (const char *p = a + 1; *p; p++) {
            const CliOpt *r = NULL;
            for (int k = 0; k < N_OPTIONS && !r; k++)
                if (options[k].short_name == *p && (options[k].cmds & mine)) r = &options[k];
            if (!r) return bad_short((unsigned char)*p, a, for_cmd, err, errlen);
            const char *v = NULL;
            if (r->arg) {
                if (p[1]) v = p + 1;
                else if (next < end && next != cmd_at) v = argv[next++];
                else FAIL("-%c: missing value", *p);
            }
            int rc = apply(o, r, v, err, errlen);
            if (rc) return rc < 0 ? -1 : 0;
            if (v) break;
        }
        i = next;
    }
    /* 3. the words after the command */
    char **words = argv + end;
    const int n_words = argc - end;
    if (help_word) {
        o->cmd = CMD_HELP;
        o->help_for = CMD_UI;
        if (n_words > 0) {
            int c = find_command(words[0]);
            if (c < 0) FAIL("'%s': unknown command; expected %s", cli_clip(words[0]), command_list());
            o->help_for = (Command)c;
        }
        return 0;
    }
    if (cmd == CMD_LESSON) {
        o->args = words;
        o->nargs = n_words;
    } else if (n_words > 0) {
        FAIL("'%s': unexpected argument after '%s'", cli_clip(words[0]), cli_command_name(cmd));
    }

    /* 4. what depends on several options */
    if (mine & ON_MODEL) {
        if (o->kv_heads_given) o->cfg.n_kv_heads = o->kv_heads_given;   /* whatever the order */
        else o->cfg.n_kv_heads = o->cfg.n_heads;
        if (!o->d_ff_given) {
            if (4LL * o->cfg.d_model > CONFIG_MAX_DIM)
                FAIL("--d-model %d: the default d-ff (4 x d-model = %lld) exceeds %d; give --d-ff too",
                     o->cfg.d_model, 4LL * o->cfg.d_model, CONFIG_MAX_DIM);
            o->cfg.d_ff = 4 * o->cfg.d_model;
        }
    }
    return 0;
}

/* ---- preparing a run ----------------------------------------------------- */

/* Tokenize prompt i and validate the run it makes; its length, or -1. */
static int prepare_one(const CliOptions *o, int i, int *ids, int cap, char *err, size_t errlen)
{
    char msg[256], what[24] = "--prompt";
    if (o->n_prompts > 1) snprintf(what, sizeof what, "--prompt #%d", i + 1);
    int L = tokenizer_encode(o->prompts[i], ids, cap < o->cfg.max_seq ? cap : o->cfg.max_seq, msg,
                             sizeof msg);
    if (L < 0) FAIL("%s: %s", what, msg);
    if (config_validate(&o->cfg, L, o->gen, msg, sizeof msg)) {
        /* the first prompt keeps the plain messages; others say which prompt */
        if (i == 0) FAIL("%s", msg);
        FAIL("%s: %s", what, msg);
    }
    return L;
}

int cli_prepare(const CliOptions *o, int *ids, int cap, char *err, size_t errlen)
{
    /* shape first: a bad --max-seq must not be reported as a long prompt */
    if (config_validate(&o->cfg, 0, 0, err, errlen)) return -1;
    if (o->n_prompts > 1 && config_batch_memory_bytes(&o->cfg, o->n_prompts) > CONFIG_MAX_BYTES)
        FAIL("--prompt: a batch of %d sequences of this model needs %llu MiB; at most %llu MiB allowed",
             o->n_prompts, (unsigned long long)(config_batch_memory_bytes(&o->cfg, o->n_prompts) >> 20),
             (unsigned long long)(CONFIG_MAX_BYTES >> 20));
    const int L = prepare_one(o, 0, ids, cap, err, errlen);
    if (L < 0) return -1;
    int lens[CLI_MAX_PROMPTS];
    lens[0] = L;
    int rc = L;
    if (o->n_prompts > 1) {
        /* the batch's other prompts: the same checks, into scratch */
        int *scratch = malloc(sizeof(int) * (size_t)(cap > 0 ? cap : 1));
        if (!scratch) FAIL("out of memory");
        for (int i = 1; i < o->n_prompts && rc >= 0; i++)
            if ((lens[i] = prepare_one(o, i, scratch, cap, err, errlen)) < 0) rc = -1;
        free(scratch);
    }
    if (rc < 0) return -1;
    if (!o->allow_large && budget_check(&o->cfg, lens, o->n_prompts, o->gen, err, errlen)) return -1;
    return rc;
}

int cli_batch(const CliOptions *o, TracePrompt *out, int **ids_out, char *err, size_t errlen)
{
    const int N = o->cfg.max_seq > 0 ? o->cfg.max_seq : 1;
    *ids_out = malloc(sizeof(int) * (size_t)N * (size_t)o->n_prompts);
    if (!*ids_out) FAIL("out of memory");
    for (int i = 0; i < o->n_prompts; i++) {
        int *ids = *ids_out + (size_t)i * (size_t)N;
        int L = prepare_one(o, i, ids, N, err, errlen);
        if (L < 0) return -1;
        out[i] = (TracePrompt){o->prompts[i], ids, L};
    }
    return o->n_prompts;
}

/* ---- help ---------------------------------------------------------------- */

/* Lines of text, each indented by `indent` spaces. */
static void put_indented(FILE *f, const char *text, int indent)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        int n = nl ? (int)(nl - text) : (int)strlen(text);
        fprintf(f, "%*s%.*s\n", n ? indent : 0, "", n, text);
        text += n + (nl ? 1 : 0);
    }
}

/* Every option of cmd, under its group headings. */
static void put_options(FILE *f, Command cmd)
{
    const char *group = NULL;
    for (int i = 0; i < N_OPTIONS; i++) {
        const CliOpt *r = &options[i];
        if (!(r->cmds & CMD_BIT(cmd))) continue;
        if (!group || strcmp(group, r->group)) {
            group = r->group;
            fprintf(f, "\n%s\n", group);
        }
        char left[64];
        int n = snprintf(left, sizeof left, "  %s%c%s--%s%s%s", r->short_name ? "-" : "",
                         r->short_name ? r->short_name : ' ', r->short_name ? ", " : "", r->name,
                         r->arg ? " " : "", r->arg ? r->arg : "");
        if (!r->short_name) {   /* no short name: the long one starts at column 2 */
            n = snprintf(left, sizeof left, "  --%s%s%s", r->name, r->arg ? " " : "", r->arg ? r->arg : "");
        }
        const char *nl = strchr(r->help, '\n');
        const int first = nl ? (int)(nl - r->help) : (int)strlen(r->help);
        if (n <= 20) fprintf(f, "%-21s%.*s\n", left, first, r->help);
        else fprintf(f, "%s\n%21s%.*s\n", left, "", first, r->help);
        if (nl) put_indented(f, nl + 1, 21);
    }
}

void cli_usage(FILE *f, Command cmd)
{
    if (cmd == CMD_HELP) cmd = CMD_UI;
    const CliCommand *c = command_of(cmd);
    if (cmd != CMD_UI) {
        const char *s = c->synopsis;
        for (int line = 0; *s; line++) {
            const char *nl = strchr(s, '\n');
            int n = nl ? (int)(nl - s) : (int)strlen(s);
            fprintf(f, "%s kvsim %s %.*s\n", line ? "      " : "Usage:", c->name, n, s);
            s += n + (nl ? 1 : 0);
        }
        put_indented(f, c->about, 0);
        put_options(f, cmd);
        fputs("\nBad input: one line on stderr, exit status 2.\n", f);
        return;
    }
    fputs("Usage: kvsim [COMMAND] [OPTIONS]\n", f);
    put_indented(f, c->about, 0);
    fputs("\nCommands:\n", f);
    fprintf(f, "  %-13s%s\n", "(none)", c->summary);
    for (int i = 0; i < N_COMMANDS; i++)
        if (commands[i].cmd != CMD_UI) fprintf(f, "  %-13s%s\n", commands[i].name, commands[i].summary);
    fputs("\n'kvsim COMMAND --help' (or 'kvsim help COMMAND') lists the options of a command.\n"
          "Options may come before or after the command. The options of the UI:\n",
          f);
    put_options(f, CMD_UI);
    fputs("\nExit status: 0 success, 1 no usable terminal for the UI, out of memory or an\n"
          "error writing the output, 2 bad input, 128+N when stopped by signal N.\n",
          f);
}
