/* main: kvsim's entry point. Parses the command line and runs a command. */
#include "sim/budget.h"
#include "sim/export.h"
#include "sim/model.h"
#include "sim/modelfile.h"
#include "sim/tokenizer.h"
#include "sim/trace.h"
#include "ui/cmd/bench.h"
#include "ui/cmd/calc.h"
#include "ui/cmd/cli.h"
#include "ui/cmd/frames.h"
#include "ui/cmd/lesson.h"
#include "ui/cmd/train.h"
#include "ui/live.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* A closed stdin, stdout or stderr (`kvsim trace >&-`) gets a read-only
 * /dev/null in its place: files opened later (a lesson, the progress file)
 * can then never become fd 1 and receive the output, and writing to it
 * still fails (EBADF), which finish_stdout reports. */
static void hold_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            int n = open("/dev/null", O_RDONLY);
            if (n >= 0 && n != fd) close(n);   /* a lower fd was free after all */
        }
}

/* Why writing stdout failed, asked after the fact: stdio keeps only the
 * error flag. A zero-byte write reports a closed or read-only descriptor
 * (EBADF) and /dev/full (ENOSPC); a pipe can only have lost its reader
 * (EPIPE); a regular file on a full file system is ENOSPC. 0: unknown. */
static int stdout_errno(void)
{
    if (write(STDOUT_FILENO, "", 0) < 0) return errno;
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) return EPIPE;
    struct statvfs v;
    if (fstatvfs(STDOUT_FILENO, &v) == 0 && v.f_bavail == 0) return ENOSPC;
    return 0;
}

/* Every command ends here: output that could not be written is an error
 * (`kvsim trace > /dev/full`, `>&-`), reported once, status 1. A closed
 * pipe (`kvsim export | head -c 10`) stays quiet: SIGPIPE ends kvsim
 * silently, and when SIGPIPE is ignored the EPIPE is not reported either. */
static int finish_stdout(int rc)
{
    errno = 0;
    bool failed = fflush(stdout) != 0;
    int e = failed ? errno : 0;
    if (ferror(stdout)) {
        failed = true;
        if (!e) e = stdout_errno();
    }
    errno = 0;
    if (fclose(stdout) != 0 && !failed) {
        failed = true;
        e = errno;
    }
    if (!failed) return rc;
    if (e == EPIPE) return rc ? rc : 1;
    if (e) fprintf(stderr, "kvsim: error writing standard output: %s\n", strerror(e));
    else fprintf(stderr, "kvsim: error writing standard output\n");
    return 1;
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

/* The commands that run the tiny model: UI, trace, export, frames,
 * bench-ui, lesson. */
static int run_model_command(const CliOptions *o)
{
    char err[512];
    int *ids = malloc(sizeof(int) * (size_t)(o->cfg.max_seq > 0 ? o->cfg.max_seq : 1));
    if (!ids) {
        fprintf(stderr, "kvsim: out of memory\n");
        return 1;
    }
    int L = cli_prepare(o, ids, o->cfg.max_seq, err, sizeof err);
    if (L < 0) {
        free(ids);
        return cli_bad_input(o->cmd, err);
    }

    /* trace and export read the weights themselves; the UI, frames and
     * lessons build them inside their run (sim/run.h): one copy each */
    Model m;
    const bool needs_model = o->cmd == CMD_EXPORT || o->cmd == CMD_TRACE;
    if (needs_model && model_init(&m, &o->cfg)) {
        free(ids);
        fprintf(stderr, "kvsim: out of memory building the model\n");
        return 1;
    }
    int rc;
    switch (o->cmd) {
    case CMD_EXPORT:
        rc = export_write_json(stdout, &m, o->prompt, ids, L, o->gen, err, sizeof err) ? 1 : 0;
        if (rc && !ferror(stdout)) fprintf(stderr, "kvsim: %s\n", err);   /* else finish_stdout says it */
        break;
    case CMD_TRACE:
        rc = run_trace(o, &m, ids, L);
        break;
    case CMD_FRAMES:
        rc = frames_run(o, ids, L, stdout);
        break;
    case CMD_LESSON:
        rc = lesson_cmd_run(o, ids, L);
        break;
    case CMD_BENCH_UI:
        rc = frames_bench(o, ids, L, stdout);
        break;
    default:
        rc = live_run(o, ids, L);
        break;
    }
    if (needs_model) model_free(&m);
    free(ids);
    return rc;
}

int main(int argc, char **argv)
{
    hold_std_fds();
    /* LC_CTYPE only: ncurses needs the character set; numbers in the
     * trace and JSON must keep their '.' whatever LC_NUMERIC says. */
    setlocale(LC_CTYPE, "");
    /* kvsim train parses its own options (ui/cmd/train.c) */
    if (argc >= 2 && !strcmp(argv[1], "train")) return finish_stdout(train_cmd_run(argc - 1, argv + 1));
    CliOptions o;
    char err[512];
    if (cli_parse(argc, argv, &o, err, sizeof err)) return finish_stdout(cli_bad_input(o.cmd, err));
    lang_from_locale(&o);
    budget_allow_large(o.allow_large);
    int rc;
    switch (o.cmd) {
    case CMD_HELP:
        cli_usage(stdout, o.help_for);
        rc = 0;
        break;
    case CMD_VERSION:
        printf("kvsim " KVSIM_VERSION "\n");
        rc = 0;
        break;
    case CMD_CALC:
        rc = calc_cmd_run(&o);
        break;
    case CMD_BENCH:
        rc = bench_cmd_run(&o);
        break;
    case CMD_TRAIN:   /* only `kvsim train ...` reaches train_cmd_run, above */
        rc = cli_bad_input(CMD_TRAIN, "train: write it first, then its options: kvsim train [OPTIONS]");
        break;
    default: {
        ModelFile mf;
        if (cli_use_model(&o, &mf, err, sizeof err))
            rc = cli_bad_input(o.cmd, err);
        else
            rc = run_model_command(&o);
        cli_model_free(&mf);
        break;
    }
    }
    return finish_stdout(rc);
}
