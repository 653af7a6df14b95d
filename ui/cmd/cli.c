/* cli: see cli.h. Parsing and every --help text are read from the two
 * tables of cli_table.c. */
#include "ui/cmd/cli.h"

#include "ui/cmd/cli_table.h"

#include "sim/budget.h"
#include "sim/ops.h"
#include "sim/tokenizer.h"
#include "sim/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static const CliCommand *command_of(Command cmd)
{
    for (int i = 0; i < cli_n_commands; i++)
        if (cli_commands[i].cmd == cmd) return &cli_commands[i];
    return &cli_commands[0];
}

const char *cli_command_name(Command cmd)
{
    return command_of(cmd)->name;
}

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

/* ---- bad input ----------------------------------------------------------- */

/* "kvsim: " msg tail "\n" as one write, control characters as \xNN (C0 and
 * DEL) or \u00NN (C1, UTF-8 C2 80..C2 9F): a message stays one line and
 * cannot drive the terminal whatever the user typed. */
static void put_line(const char *msg, const char *tail)
{
    const size_t n = strlen(msg), t = strlen(tail);
    char *b = malloc(n * 6 + t + 16);   /* 6: "\u0085" for 2 bytes, "\x1b" for 1 */
    if (!b) {
        fputs("kvsim: out of memory\n", stderr);
        return;
    }
    size_t j = (size_t)sprintf(b, "kvsim: ");
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p < 0x20 || *p == 0x7F) j += (size_t)sprintf(b + j, "\\x%02x", *p);
        else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) j += (size_t)sprintf(b + j, "\\u00%02x", *++p);
        else b[j++] = (char)*p;
    }
    memcpy(b + j, tail, t);
    j += t;
    b[j++] = '\n';
    fwrite(b, 1, j, stderr);
    free(b);
}

void cli_put_error(const char *msg)
{
    put_line(msg, "");
}

int cli_bad_input(Command cmd, const char *msg)
{
    char tail[64];
    const char *name = cmd == CMD_HELP || cmd == CMD_VERSION ? "" : cli_command_name(cmd);
    snprintf(tail, sizeof tail, "; see 'kvsim %s%s--help'", name, *name ? " " : "");
    put_line(msg, tail);
    return 2;
}

/* ---- parsing ------------------------------------------------------------- */

static int find_command(const char *word)
{
    for (int i = 0; i < cli_n_commands; i++)
        if (cli_commands[i].cmd != CMD_UI && !strcmp(word, cli_commands[i].name)) return (int)cli_commands[i].cmd;
    return -1;
}

static const char *command_list(void)
{
    static char buf[256];
    size_t j = 0;
    buf[0] = '\0';
    for (int i = 1; i < cli_n_commands && j < sizeof buf; i++)   /* [0] is the UI */
        j += (size_t)snprintf(buf + j, sizeof buf - j, "%s%s", cli_commands[i].name,
                              i + 2 < cli_n_commands ? ", " : i + 1 < cli_n_commands ? " or " : "");
    return buf;
}

/* The rows of long option `name` (n bytes) for the commands in `cmds`:
 * the exact name, else the one name it abbreviates. Returns the row, NULL
 * when none; *ambiguous is set when it abbreviates several names. */
static const CliOpt *find_long(const char *name, size_t n, unsigned cmds, bool *ambiguous)
{
    const CliOpt *hit = NULL;
    *ambiguous = false;
    for (int i = 0; i < cli_n_options; i++)
        if ((cli_options[i].cmds & cmds) && strlen(cli_options[i].name) == n && !strncmp(cli_options[i].name, name, n))
            return &cli_options[i];
    for (int i = 0; i < cli_n_options; i++) {
        const CliOpt *r = &cli_options[i];
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
    for (int i = 0; i < cli_n_options; i++) {
        const CliOpt *r = &cli_options[i];
        if (!(r->cmds & cmds) || strncmp(r->name, name, n)) continue;
        bool dup = false;
        for (int k = 0; k < i; k++)
            if ((cli_options[k].cmds & cmds) && !strcmp(cli_options[k].name, r->name)) dup = true;
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
    for (int i = 0; i < cli_n_commands; i++) total += (cmds & CMD_BIT(cli_commands[i].cmd)) != 0;
    size_t j = 0;
    buf[0] = '\0';
    for (int i = 0; i < cli_n_commands; i++) {
        if (!(cmds & CMD_BIT(cli_commands[i].cmd))) continue;
        k++;
        const char *sep = k == 1 ? "" : k == total ? " and " : ", ";
        if (cli_commands[i].cmd == CMD_UI)
            j += (size_t)snprintf(buf + j, sizeof buf - j, "%sthe UI", sep);
        else
            j += (size_t)snprintf(buf + j, sizeof buf - j, "%s'kvsim %s'", sep, cli_commands[i].name);
        if (j >= sizeof buf) break;
    }
    return buf;
}

static unsigned name_cmds(const char *name)
{
    unsigned c = 0;
    for (int i = 0; i < cli_n_options; i++)
        if (!strcmp(cli_options[i].name, name)) c |= cli_options[i].cmds;
    return c;
}

/* The refusal of option `name` in lesson mode: what the lesson sets up
 * instead and, from the table, every option that does apply there
 * ('kvsim lesson', or 'kvsim frames' with --lesson). Returns -1 with err
 * set, or 0 when no row of that name has lesson_sets (not refused here). */
static int lesson_refuse(const char *name, Command cmd, char *err, size_t errlen)
{
    const char *sets = NULL;
    for (int i = 0; i < cli_n_options && !sets; i++)
        if (!strcmp(cli_options[i].name, name)) sets = cli_options[i].lesson_sets;   /* NULL: read on */
    if (!sets) return 0;
    char list[256];
    size_t j = 0;
    list[0] = '\0';
    for (int i = 0; i < cli_n_options && j < sizeof list; i++) {
        const CliOpt *r = &cli_options[i];
        /* not --help, --version (no setter) or frames' --lesson itself */
        if (!(r->cmds & CMD_BIT(cmd)) || r->lesson_sets || !r->set || !strcmp(r->name, "lesson")) continue;
        bool dup = false;
        for (int k = 0; k < i; k++)
            if ((cli_options[k].cmds & CMD_BIT(cmd)) && !strcmp(cli_options[k].name, r->name)) dup = true;
        if (!dup) j += (size_t)snprintf(list + j, sizeof list - j, "%s--%s", j ? ", " : "", r->name);
    }
    FAIL("--%s: a lesson sets up its own %s; %s takes only %s", name, sets,
         cmd == CMD_LESSON ? "'kvsim lesson'" : "with --lesson, 'kvsim frames'", list);
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
        for (int i = 0; i < cli_n_options; i++)
            if (!strncmp(cli_options[i].name, a + 2, n)) {
                any = true;
                all &= cli_options[i].arg != NULL && !cli_options[i].arg_optional;
            }
        return any && all;
    }
    for (const char *p = a + 1; *p; p++)
        for (int i = 0; i < cli_n_options; i++)
            if (cli_options[i].short_name == *p) {
                if (cli_options[i].arg) return p[1] == '\0';
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
    o->goto_step = -1;
    o->calc.in.batch = 1;
    o->calc.in.dtype = CALC_FP16;
    o->calc.in.balance = CALC_DEFAULT_BALANCE;
    o->calc.in.speculate = CALC_DEFAULT_SPECULATE;
    o->calc.in.acceptance = CALC_DEFAULT_ACCEPTANCE;
    o->bench.runs = 7;
    o->bench.recompute_runs = 1;
    o->bench.cpu = -1;
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
                if (cmd == CMD_LESSON && others && lesson_refuse(nm, cmd, err, errlen)) return -1;
                if (others)
                    FAIL("--%s: only for %s%s", nm, commands_of(others),
                         !strcmp(nm, "lesson") ? " (use 'kvsim lesson N' to play one)" : "");
                FAIL("--%s: unknown option%s", cli_clip(nm), for_cmd);
            }
            const char *v = NULL;
            if (r->arg) {
                if (eq) v = eq + 1;
                else if (r->arg_optional) v = NULL;
                else if (i + 1 < end && i + 1 != cmd_at) v = argv[++i];
                else FAIL("%s: missing value", cli_clip(a));
            } else if (eq) {
                FAIL("--%s: takes no value", cli_clip(nm));
            }
            int rc = apply(o, r, v, err, errlen);
            if (rc) return rc < 0 ? -1 : 0;
            if (r->lesson_sets && !o->lesson_fixed) o->lesson_fixed = r->name;
            i++;
            continue;
        }
        /* -x: short options, flags may be grouped (-hV) */
        int next = i + 1;
        for (const char *p = a + 1; *p; p++) {
            const CliOpt *r = NULL;
            for (int k = 0; k < cli_n_options && !r; k++)
                if (cli_options[k].short_name == *p && (cli_options[k].cmds & mine)) r = &cli_options[k];
            if (!r) return bad_short((unsigned char)*p, a, for_cmd, err, errlen);
            const char *v = NULL;
            if (r->arg) {
                if (p[1]) v = p + 1;
                else if (next < end && next != cmd_at) v = argv[next++];
                else FAIL("-%c: missing value", *p);
            }
            int rc = apply(o, r, v, err, errlen);
            if (rc) return rc < 0 ? -1 : 0;
            if (r->lesson_sets && !o->lesson_fixed) o->lesson_fixed = r->name;
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
        if (cmd == CMD_BENCH && o->bench.save_machine && !o->bench.machine_path)
            FAIL("'%s': unexpected argument after 'bench'; a file for --save-machine goes after '=': "
                 "--save-machine=%s", cli_clip(words[0]), cli_clip(words[0]));
        FAIL("'%s': unexpected argument after '%s'", cli_clip(words[0]), cli_command_name(cmd));
    }

    /* 4. what depends on several options */
    /* a lesson's slides set up the run, view and position: frames --lesson
     * refuses what they would override ('kvsim lesson' has no such rows) */
    if (cmd == CMD_FRAMES && o->lesson && o->lesson_fixed && lesson_refuse(o->lesson_fixed, cmd, err, errlen))
        return -1;
    if (mine & CLI_ON_MODEL) {
        if (o->kv_heads_given) o->cfg.n_kv_heads = o->kv_heads_given;   /* whatever the order */
        else o->cfg.n_kv_heads = o->cfg.n_heads;
        if (!o->d_ff_given) {
            if (4LL * o->cfg.d_model > CONFIG_MAX_DIM)
                FAIL("--d-model %d: the default d-ff (4 x d-model = %lld) exceeds %d; give --d-ff too",
                     o->cfg.d_model, 4LL * o->cfg.d_model, CONFIG_MAX_DIM);
            o->cfg.d_ff = 4 * o->cfg.d_model;
        }
    }
    if (o->cfg.chunk > 0 || o->cfg.speculate > 0) {
        /* §6.7, §6.9: ways of stepping cached sequences (a batch too: sim/run.h) */
        const char *opt = o->cfg.chunk > 0 ? "--chunk" : "--speculate";
        const bool no_cache = (cmd == CMD_TRACE && !(o->trace_modes & TRACE_CACHE)) ||
                              (cmd != CMD_TRACE && (o->view == VIEW_RECOMPUTE || o->view == VIEW_TRAIN));
        if (no_cache)
            FAIL("%s: a cache-mode technique; not with --mode %s (nothing is cached there)", opt,
                 cmd == CMD_TRACE ? (o->trace_modes == TRACE_TRAIN ? "train" : "recompute")
                                  : (o->view == VIEW_TRAIN ? "train" : "recompute"));
    }
    if (o->goto_step >= 0 && o->cfg.chunk == 0 && o->goto_step >= o->gen)
        /* --goto: a step of this run (--chunk adds prefill steps: app_init
         * checks those against the run); its operation: cli_prepare */
        FAIL("--goto %s: step must be 0-%d (--gen %d steps)", cli_clip(o->goto_arg), o->gen - 1, o->gen);
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

/* --goto STEP.OP: an operation of a step of the run the view shows (the
 * engine of app_primary_mode: recompute has no cache write), with the
 * layers of the model actually loaded (a --model file has its own). */
static int check_goto_op(const CliOptions *o, char *err, size_t errlen)
{
    if (o->goto_step < 0 || o->goto_op == 0) return 0;
    const RunMode m = o->view == VIEW_RECOMPUTE ? MODE_RECOMPUTE : o->view == VIEW_TRAIN ? MODE_TRAIN : MODE_CACHE;
    const int n_ops = op_count(m, o->cfg.n_layers);
    if (o->goto_op > n_ops)
        FAIL("--goto %s: operation must be 1-%d (a step of this run has %d: %d layer%s, %s mode)",
             cli_clip(o->goto_arg), n_ops, n_ops, o->cfg.n_layers, o->cfg.n_layers == 1 ? "" : "s",
             m == MODE_RECOMPUTE ? "recompute" : m == MODE_TRAIN ? "train" : "cache");
    return 0;
}

int cli_prepare(const CliOptions *o, int *ids, int cap, char *err, size_t errlen)
{
    /* shape first: a bad --max-seq must not be reported as a long prompt */
    if (config_validate(&o->cfg, 0, 0, err, errlen)) return -1;
    if (check_goto_op(o, err, errlen)) return -1;
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
/* The model a command runs (spec §1, §7): see cli.h. */
int cli_use_model(CliOptions *o, ModelFile *mf, char *err, size_t errlen)
{
    memset(mf, 0, sizeof *mf);
    const int max_seq_given = o->cfg.max_seq != config_default().max_seq;
    /* A lesson sets its model up on its slides (docs/lessons.md, model:);
     * loading one here would swap the alphabet and so change V and every
     * answer that counts the output head. (--model and the shape options
     * never reach here in lesson mode: cli_parse refuses them.) */
    if (o->cmd == CMD_LESSON || (o->cmd == CMD_FRAMES && o->lesson)) return 0;
    if (o->model_path && o->shape_opt) {
        snprintf(err, errlen, "--%s: a shape option selects the seeded random model; --model %s has its own shape",
                 o->shape_opt, o->model_path);
        return -1;
    }
    if (o->shape_opt) return 0;   /* the shape options win over the default model */
    const char *name = o->model_path ? o->model_path : MODELFILE_DEFAULT_NAME;
    if (o->model_path ? modelfile_load(mf, o->model_path, err, errlen) : modelfile_load_default(mf, err, errlen))
        return -1;
    if (!o->model_path && o->cfg.rope) {
        /* --rope alone: say how to get a model that has rotary positions */
        snprintf(err, errlen, "--rope: the default model %s has learned positions; add a shape option "
                 "(e.g. --d-model 8) to run the seeded random model with rotary positions", name);
        return -1;
    }
    if (modelfile_apply(mf, name, &o->cfg, max_seq_given, err, errlen)) return -1;
    tokenizer_use_alphabet(mf->alphabet, mf->model.cfg.vocab);
    return 0;
}

void cli_model_free(ModelFile *mf)
{
    tokenizer_use_alphabet(NULL, 0);
    modelfile_free(mf);
}

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
    for (int i = 0; i < cli_n_options; i++) {
        const CliOpt *r = &cli_options[i];
        if (!(r->cmds & CMD_BIT(cmd))) continue;
        if (!group || strcmp(group, r->group)) {
            group = r->group;
            fprintf(f, "\n%s\n", group);
        }
        char left[64];
        /* " G", or "[=FILE]" for a value that may be left out */
        char val[40] = "";
        if (r->arg) snprintf(val, sizeof val, r->arg_optional ? "[=%s]" : " %s", r->arg);
        int n = snprintf(left, sizeof left, "  %s%c%s--%s%s", r->short_name ? "-" : "",
                         r->short_name ? r->short_name : ' ', r->short_name ? ", " : "", r->name, val);
        if (!r->short_name)   /* no short name: the long one starts at column 2 */
            n = snprintf(left, sizeof left, "  --%s%s", r->name, val);
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
    for (int i = 0; i < cli_n_commands; i++)
        if (cli_commands[i].cmd != CMD_UI) fprintf(f, "  %-13s%s\n", cli_commands[i].name, cli_commands[i].summary);
    fputs("\n'kvsim COMMAND --help' (or 'kvsim help COMMAND') lists the options of a command.\n"
          "Options may come before or after the command. The options of the UI:\n",
          f);
    put_options(f, CMD_UI);
    fputs("\nExit status: 0 success, 1 no usable terminal for the UI, out of memory or an\n"
          "error writing the output, 2 bad input, 128+N when stopped by signal N.\n",
          f);
}
