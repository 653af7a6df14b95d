/* cli: see cli.h. */
#include "ui/cmd/cli.h"

#include "sim/tokenizer.h"
#include "sim/trace.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* A user's argument as messages echo it: at most 48 bytes, cut at a
 * character boundary, "…" when cut. Four rotating buffers, so one message
 * can quote several arguments. */
static const char *clip(const char *s)
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

enum {
    OPT_PROMPT = 256, OPT_GEN, OPT_KVHEADS, OPT_WINDOW, OPT_BLOCK, OPT_DMODEL, OPT_HEADS, OPT_LAYERS, OPT_DFF, OPT_MAXSEQ, OPT_SEED,
    OPT_FORMAT, OPT_MODE, OPT_LANG, OPT_NOCOLOR, OPT_ASCII, OPT_SIZE, OPT_STEPS, OPT_KEYS,
    OPT_PRINT, OPT_RESET, OPT_LESSON, OPT_HELP, OPT_VERSION, OPT_GOTO,
};

static const struct option long_opts[] = {
    {"prompt", required_argument, NULL, OPT_PROMPT},
    {"gen", required_argument, NULL, OPT_GEN},
    {"d-model", required_argument, NULL, OPT_DMODEL},
    {"heads", required_argument, NULL, OPT_HEADS},
    {"kv-heads", required_argument, NULL, OPT_KVHEADS},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"block-size", required_argument, NULL, OPT_BLOCK},
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"d-ff", required_argument, NULL, OPT_DFF},
    {"max-seq", required_argument, NULL, OPT_MAXSEQ},
    {"seed", required_argument, NULL, OPT_SEED},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"mode", required_argument, NULL, OPT_MODE},
    {"lang", required_argument, NULL, OPT_LANG},
    {"no-color", no_argument, NULL, OPT_NOCOLOR},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"size", required_argument, NULL, OPT_SIZE},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"keys", required_argument, NULL, OPT_KEYS},
    {"print", no_argument, NULL, OPT_PRINT},
    {"lesson", required_argument, NULL, OPT_LESSON},
    {"reset-progress", no_argument, NULL, OPT_RESET},
    {"goto", required_argument, NULL, OPT_GOTO},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

int cli_parse_int(const char *name, const char *s, long long lo, long long hi, long long *out,
                  char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || end == s || *end != '\0')
        FAIL("--%s '%s': not a number; expected an integer from %lld to %lld", name, clip(s), lo, hi);
    if (errno == ERANGE || v < lo || v > hi)
        FAIL("--%s %s: out of range; expected an integer from %lld to %lld", name, clip(s), lo, hi);
    *out = v;
    return 0;
}

static int parse_seed(const char *s, uint64_t *out, char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    if (*s == '-' || *s == '\0')
        FAIL("--seed '%s': expected an integer from 0 to 18446744073709551615", clip(s));
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        FAIL("--seed '%s': expected an integer from 0 to 18446744073709551615", clip(s));
    *out = (uint64_t)v;
    return 0;
}

static int parse_size(const char *s, int *w, int *h, char *err, size_t errlen)
{
    int a = 0, b = 0, used = 0;
    if (sscanf(s, "%4dx%4d%n", &a, &b, &used) != 2 || s[used] != '\0' || a < 20 || b < 8 ||
        a > 1000 || b > 500)
        FAIL("--size '%s': expected WIDTHxHEIGHT, e.g. 80x24 (width 20..1000, height 8..500)", clip(s));
    *w = a;
    *h = b;
    return 0;
}

static const char *const command_names[] = {"", "trace", "export", "frames", "bench-ui", "lesson"};

int cli_parse(int argc, char **argv, CliOptions *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->cmd = CMD_UI;
    o->cfg = config_default();
    o->cfg.vocab = tokenizer_vocab();
    o->prompt = o->prompts[0] = CONFIG_DEFAULT_PROMPT;
    o->n_prompts = 1;
    int n_given = 0;
    o->gen = CONFIG_DEFAULT_GEN;
    o->format = FORMAT_TABLE;
    o->trace_modes = TRACE_CACHE | TRACE_RECOMPUTE | TRACE_TRAIN;
    o->view = VIEW_CACHE;
    o->width = 80;
    o->height = 24;
    o->steps = -1;
    o->goto_step = -1;
    const char *mode = NULL, *lang = NULL;
    bool dff_set = false;
    int kv_heads = 0;
    long long v;

    optind = 0;           /* full reset: cli_parse may run many times (tests, fuzzing) */
    opterr = 0;           /* our own messages */
    int ch;
    while ((ch = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case OPT_PROMPT:
            if (n_given == CLI_MAX_PROMPTS)
                FAIL("--prompt: at most %d prompts (a batch of %d sequences)", CLI_MAX_PROMPTS, CLI_MAX_PROMPTS);
            o->prompts[n_given++] = a;
            o->n_prompts = n_given;
            o->prompt = o->prompts[0];
            break;
        case OPT_GEN:
            if (cli_parse_int("gen", a, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            o->gen = (int)v;
            break;
        case OPT_DMODEL:
            if (cli_parse_int("d-model", a, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            o->cfg.d_model = (int)v;
            break;
        case OPT_HEADS:
            if (cli_parse_int("heads", a, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            o->cfg.n_heads = o->cfg.n_kv_heads = (int)v;
            break;
        case OPT_KVHEADS:
            if (cli_parse_int("kv-heads", a, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            kv_heads = (int)v;
            break;
        case OPT_WINDOW:
            if (cli_parse_int("window", a, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            o->cfg.window = (int)v;
            break;
        case OPT_BLOCK:
            if (cli_parse_int("block-size", a, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            o->cfg.block_size = (int)v;
            break;
        case OPT_LAYERS:
            if (cli_parse_int("layers", a, 1, 4096, &v, err, errlen)) return -1;
            o->cfg.n_layers = (int)v;
            break;
        case OPT_DFF:
            if (cli_parse_int("d-ff", a, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            o->cfg.d_ff = (int)v;
            dff_set = true;
            break;
        case OPT_MAXSEQ:
            if (cli_parse_int("max-seq", a, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            o->cfg.max_seq = (int)v;
            break;
        case OPT_SEED:
            if (parse_seed(a, &o->cfg.seed, err, errlen)) return -1;
            break;
        case OPT_FORMAT:
            if (!strcmp(a, "table")) o->format = FORMAT_TABLE;
            else if (!strcmp(a, "csv")) o->format = FORMAT_CSV;
            else if (!strcmp(a, "json")) o->format = FORMAT_JSON;
            else FAIL("--format '%s': expected table, csv or json", clip(a));
            break;
        case OPT_MODE: mode = a; break;
        case OPT_LANG: lang = a; break;
        case OPT_NOCOLOR: o->no_color = true; break;
        case OPT_ASCII: o->ascii = true; break;
        case OPT_SIZE:
            if (parse_size(a, &o->width, &o->height, err, errlen)) return -1;
            break;
        case OPT_STEPS:
            if (cli_parse_int("steps", a, 0, 100000, &v, err, errlen)) return -1;
            o->steps = (int)v;
            break;
        case OPT_KEYS: o->keys = a; break;
        case OPT_PRINT: o->print = true; break;
        case OPT_LESSON: o->lesson = a; break;
        case OPT_RESET: o->reset_progress = true; break;
        case OPT_GOTO: {   /* STEP or STEP.OP; checked against --gen and the layers below */
            const char *dot = strchr(a, '.');
            char step[32];
            snprintf(step, sizeof step, "%.*s", dot ? (int)(dot - a) : (int)strlen(a), a);
            if (cli_parse_int("goto", step, 0, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
            o->goto_step = (int)v;
            o->goto_op = 0;
            if (dot) {
                if (cli_parse_int("goto", dot + 1, 1, CONFIG_MAX_DIM, &v, err, errlen)) return -1;
                o->goto_op = (int)v;
            }
            break;
        }
        case OPT_HELP: o->cmd = CMD_HELP; return 0;
        case OPT_VERSION: o->cmd = CMD_VERSION; return 0;
        case ':': FAIL("%s: missing value", clip(argv[optind - 1]));
        default: {
            /* optopt is a long option's value when a flag was given "=value" */
            char name[64];
            const char *arg = argv[optind - 1];
            const char *eq = strchr(arg, '=');
            snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
            if (optopt >= 256) FAIL("%s: takes no value", clip(name));
            if (optopt > 0x20 && optopt < 0x7F) FAIL("-%c: unknown option", optopt);
            if (arg[0] == '-' && arg[1] == '-') FAIL("%s: unknown option", clip(name));
            if (optopt >= 0x80 || optopt < 0) {
                /* a byte of a multi-byte character in a short option: name the argument */
                for (int i = 1; i < argc; i++)
                    if (argv[i][0] == '-' && argv[i][1] != '-' && strchr(argv[i], (char)optopt))
                        FAIL("%s: unknown option", clip(argv[i]));
                FAIL("unknown option (byte 0x%02x)", (unsigned)optopt & 0xFFu);
            }
            FAIL("-\\x%02x: unknown option (a control character)", (unsigned)optopt & 0xFFu);
        }
        }
    }
    if (optind < argc) {
        const char *c = argv[optind++];
        if (!strcmp(c, "trace")) o->cmd = CMD_TRACE;
        else if (!strcmp(c, "export")) o->cmd = CMD_EXPORT;
        else if (!strcmp(c, "frames")) o->cmd = CMD_FRAMES;
        else if (!strcmp(c, "bench-ui")) o->cmd = CMD_BENCH_UI;
        else if (!strcmp(c, "lesson")) o->cmd = CMD_LESSON;
        else if (!strcmp(c, "help")) { o->cmd = CMD_HELP; return 0; }
        else if (!strcmp(c, "calc") || !strcmp(c, "bench"))
            FAIL("'%s' takes its own options: put it first (kvsim %s --help)", c, c);
        else FAIL("'%s': unknown command; expected trace, export, frames, bench-ui or lesson", clip(c));
    }
    if (o->cmd == CMD_LESSON) {
        o->args = argv + optind;
        o->nargs = argc - optind;
        optind = argc;
    }
    if (o->lesson && o->cmd != CMD_FRAMES)
        FAIL("--lesson: only for 'kvsim frames' (use 'kvsim lesson N' to play one)");
    if ((o->print || o->reset_progress) && o->cmd != CMD_LESSON)
        FAIL("%s: only for 'kvsim lesson'", o->print ? "--print" : "--reset-progress");
    if (optind < argc)
        FAIL("'%s': unexpected argument after '%s'", clip(argv[optind]), command_names[o->cmd]);
    if (kv_heads) o->cfg.n_kv_heads = kv_heads;   /* after --heads, whatever the order */
    if (o->goto_step >= o->gen)
        FAIL("--goto %d: step must be 0-%d (--gen %d steps)", o->goto_step, o->gen - 1, o->gen);
    if (o->goto_op > 1 + 9 * o->cfg.n_layers + 4)   /* embed, 9 per layer, final LN, logits, pick, append */
        FAIL("--goto %d.%d: operation must be 1-%d (%d layers)", o->goto_step, o->goto_op,
             1 + 9 * o->cfg.n_layers + 4, o->cfg.n_layers);
    if (!dff_set) {
        if (4LL * o->cfg.d_model > CONFIG_MAX_DIM)
            FAIL("--d-model %d: the default d-ff (4 x d-model = %lld) exceeds %d; give --d-ff too",
                 o->cfg.d_model, 4LL * o->cfg.d_model, CONFIG_MAX_DIM);
        o->cfg.d_ff = 4 * o->cfg.d_model;
    }

    if (mode) {
        if (o->cmd == CMD_TRACE || o->cmd == CMD_EXPORT) {
            if (!strcmp(mode, "both")) o->trace_modes = TRACE_CACHE | TRACE_RECOMPUTE | TRACE_TRAIN;
            else if (!strcmp(mode, "cache")) o->trace_modes = TRACE_CACHE;
            else if (!strcmp(mode, "recompute")) o->trace_modes = TRACE_RECOMPUTE;
            else if (!strcmp(mode, "train")) o->trace_modes = TRACE_TRAIN;
            else FAIL("--mode '%s': expected cache, recompute, both or train", clip(mode));
        } else {
            static const char *const views[VIEW_COUNT] = {"cache", "recompute", "compare", "train", "memory"};
            int found = -1;
            for (int i = 0; i < VIEW_COUNT; i++)
                if (!strcmp(mode, views[i])) found = i;
            if (found < 0) FAIL("--mode '%s': expected cache, recompute, compare, train or memory", clip(mode));
            o->view = (View)found;
        }
    }
    if (lang) {
        o->lang_set = true;
        if (!strcmp(lang, "zh")) o->lang_zh = true;
        else if (strcmp(lang, "en")) FAIL("--lang '%s': expected en or zh", clip(lang));
    }
    return 0;
}

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
    if (L < 0 || o->n_prompts == 1) return L;
    /* the batch's other prompts: the same checks, into scratch */
    int *scratch = malloc(sizeof(int) * (size_t)(cap > 0 ? cap : 1));
    if (!scratch) FAIL("out of memory");
    int rc = L;
    for (int i = 1; i < o->n_prompts && rc >= 0; i++)
        if (prepare_one(o, i, scratch, cap, err, errlen) < 0) rc = -1;
    free(scratch);
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

void cli_usage(void)
{
    fputs(
        "Usage: kvsim [COMMAND] [OPTIONS]\n"
        "Step a tiny decoder-only transformer through prefill and decode, with and\n"
        "without a KV cache, and count every multiply-accumulate.\n"
        "\n"
        "Commands:\n"
        "  (none)        start the terminal UI\n"
        "  trace         print the measured operation counts of every step\n"
        "  export        print the weights and every intermediate value as JSON\n"
        "  frames        print the UI's screens as plain text (no terminal needed)\n"
        "  bench-ui      time building a UI frame at sizes from 80x24 to 200x60\n"
        "  calc          KV cache and FLOP arithmetic for real models (kvsim calc --help)\n"
        "  bench         tokens/s with and without the cache, GFLOP/s (kvsim bench --help)\n"
        "  lesson        list the guided lessons (with your progress)\n"
        "  lesson N      play lesson N in the UI       lesson FILE   play a lesson file\n"
        "  lesson N --print        the lesson as plain text, questions with answers\n"
        "  lesson check FILE...    validate lesson files (exit 2 on problems)\n"
        "  lesson --reset-progress forget your progress\n"
        "\n"
        "Model and run (every command):\n"
        "  --prompt TEXT    prompt, one token per character (default \"" CONFIG_DEFAULT_PROMPT "\");\n"
        "                   give it up to 16 times for a batch (trace and the UI's memory\n"
        "                   view run every sequence, sharing one block pool)\n"
        "  --gen G          tokens to generate (default 8); prompt + G <= max-seq\n"
        "  --d-model d      model width (default 8)\n"
        "  --heads H        attention heads; d must be divisible by H (default 2)\n"
        "  --layers N       layers (default 2)\n"
        "  --d-ff F         feed-forward width (default 4*d)\n"
        "  --kv-heads K     K/V heads, dividing H: 1 = multi-query, H = multi-head (default H)\n"
        "  --window W       sliding-window attention over the last W positions (default none)\n"
        "  --block-size B   paged KV cache: blocks of B positions (1..max-seq) in a shared\n"
        "                   pool, one block table per sequence (default none)\n"
        "  --max-seq N      context length (default 64)\n"
        "  --seed S         weight seed (default 42)\n"
        "\n"
        "trace:   --format table|csv|json   --mode both|cache|recompute|train\n"
        "export:  --format json\n"
        "UI and frames:\n"
        "  --mode cache|recompute|compare|train|memory   view to start in\n"
        "  --lang en|zh     language of the UI\n"
        "  --no-color       monochrome (also when NO_COLOR is set)\n"
        "  --ascii          ASCII glyphs instead of box drawing and shades\n"
        "  --goto STEP[.OP] start at the end of token step STEP (or after its operation OP)\n"
        "frames:  --size WxH (default 80x24)  --steps K  --keys \"nnN...\"  --lesson N|FILE\n"
        "         (in --keys, <Right> <Left> <Up> <Down> <Home> <End> <Space> <Enter>\n"
        "          <Esc> <Backspace> <Tab> <PgDn> <PgUp> name keys; any other character is itself)\n"
        "\n"
        "  --help           this text     --version   the version\n"
        "\n"
        "Exit status: 0 success, 1 no usable terminal for the UI (or out of memory),\n"
        "2 bad input, 128+N when stopped by signal N.\n",
        stdout);
}
