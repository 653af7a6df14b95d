/* main: kvsim's entry point. Parses the command line and runs a command. */
#include "sim/export.h"
#include "sim/model.h"
#include "sim/tokenizer.h"
#include "sim/trace.h"
#include "ui/cmd/bench.h"
#include "ui/cmd/calc.h"
#include "ui/cmd/cli.h"
#include "ui/cmd/frames.h"
#include "ui/cmd/lesson.h"
#include "ui/live.h"

#include <locale.h>
#include <stdbool.h>
#include <string.h>

#include <stdio.h>
#include <stdlib.h>

#define KVSIM_VERSION "0.1.0"

static int usage_error(const char *msg)
{
    fprintf(stderr, "kvsim: %s\nTry 'kvsim --help'.\n", msg);
    return 2;
}

static int run_trace(const CliOptions *o, const Model *m, const int *ids, int L)
{
    char err[256];
    Trace tr;
    /* every --prompt: a batch (one sequence without repeats) */
    TracePrompt batch[CLI_MAX_PROMPTS];
    int *batch_ids = NULL;
    const int n = cli_batch(o, batch, &batch_ids, err, sizeof err);
    (void)ids;
    (void)L;
    if (n < 0 || trace_run_batch(&tr, m, batch, n, o->gen, err, sizeof err)) {
        free(batch_ids);
        fprintf(stderr, "kvsim: %s\n", err);
        return 1;
    }
    free(batch_ids);
    if (o->format == FORMAT_JSON) trace_write_json(stdout, &tr, o->trace_modes);
    else if (o->format == FORMAT_CSV) trace_write_csv(stdout, &tr, o->trace_modes);
    else trace_write_table(stdout, &tr, o->trace_modes);
    trace_free(&tr);
    return 0;
}

/* Chinese UI by default when the locale is Chinese and --lang is not given. */
static void lang_from_locale(CliOptions *o)
{
    if (o->lang_set) return;
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            o->lang_zh = !strncmp(v, "zh", 2);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    /* LC_CTYPE only: ncurses needs the character set; numbers in the
     * trace and JSON must keep their '.' whatever LC_NUMERIC says. */
    setlocale(LC_CTYPE, "");
    /* commands with options of their own parse them themselves */
    if (argc >= 2 && !strcmp(argv[1], "calc")) return calc_cmd_run(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "bench")) return bench_cmd_run(argc - 1, argv + 1);
    CliOptions o;
    char err[512];
    if (cli_parse(argc, argv, &o, err, sizeof err)) return usage_error(err);
    lang_from_locale(&o);
    if (o.cmd == CMD_HELP) { cli_usage(); return 0; }
    if (o.cmd == CMD_VERSION) { printf("kvsim " KVSIM_VERSION "\n"); return 0; }
    if (o.cmd == CMD_EXPORT && o.format != FORMAT_JSON && o.format != FORMAT_TABLE)
        return usage_error("--format: export writes json only");

    int *ids = malloc(sizeof(int) * (size_t)(o.cfg.max_seq > 0 ? o.cfg.max_seq : 1));
    if (!ids) return usage_error("out of memory");
    int L = cli_prepare(&o, ids, o.cfg.max_seq, err, sizeof err);
    if (L < 0) { free(ids); return usage_error(err); }

    /* trace and export read the weights themselves; the UI, frames and
     * lessons build them inside their run (sim/run.h): one copy each */
    Model m;
    const bool needs_model = o.cmd == CMD_EXPORT || o.cmd == CMD_TRACE;
    if (needs_model && model_init(&m, &o.cfg)) {
        free(ids);
        fprintf(stderr, "kvsim: out of memory building the model\n");
        return 1;
    }
    int rc;
    switch (o.cmd) {
    case CMD_EXPORT:
        rc = export_write_json(stdout, &m, o.prompt, ids, L, o.gen, err, sizeof err) ? 1 : 0;
        if (rc) fprintf(stderr, "kvsim: %s\n", err);
        break;
    case CMD_TRACE:
        rc = run_trace(&o, &m, ids, L);
        break;
    case CMD_FRAMES:
        rc = frames_run(&o, ids, L, stdout);
        break;
    case CMD_LESSON:
        rc = lesson_cmd_run(&o, ids, L);
        break;
    case CMD_BENCH_UI:
        rc = frames_bench(&o, ids, L, stdout);
        break;
    default:
        rc = live_run(&o, ids, L);
        break;
    }
    if (needs_model) model_free(&m);
    free(ids);
    return rc;
}
