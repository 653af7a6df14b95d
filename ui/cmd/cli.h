/* cli: the command line of kvsim, parsed and checked (no curses here).
 *
 *   kvsim [COMMAND] [OPTIONS]
 *   COMMAND: (none) = terminal UI, trace, export, frames, bench-ui, lesson
 *
 * cli_parse() only reads argv; cli_prepare() turns the prompt into tokens
 * and validates the whole configuration. Both report the first problem as
 * one line (what, where, what is allowed) and return -1; the caller prints
 * it with "Try 'kvsim --help'." and exits with status 2.
 */
#ifndef KVSIM_CLI_H
#define KVSIM_CLI_H

#include "sim/config.h"
#include "sim/trace.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum { CMD_UI, CMD_TRACE, CMD_EXPORT, CMD_FRAMES, CMD_BENCH_UI, CMD_LESSON, CMD_HELP, CMD_VERSION } Command;
typedef enum { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON } Format;
/* Initial view of the UI, and `--mode` of the UI and of frames. */
typedef enum { VIEW_CACHE, VIEW_RECOMPUTE, VIEW_COMPARE, VIEW_TRAIN, VIEW_MEMORY, VIEW_COUNT } View;

/* --prompt may be given up to this many times: a batch of sequences. */
#define CLI_MAX_PROMPTS 16

typedef struct {
    Command cmd;
    KvConfig cfg;          /* vocab filled in from the tokenizer; cfg.block_size from --block-size */
    const char *prompt;    /* the first prompt (prompts[0]); everything but a batch trace uses it */
    const char *prompts[CLI_MAX_PROMPTS];  /* every --prompt in order (points into argv or a literal) */
    int n_prompts;         /* >= 1 (the default prompt when none is given) */
    int gen;
    Format format;
    unsigned trace_modes;  /* TRACE_* bits of sim/trace.h */
    View view;
    bool lang_zh;
    bool lang_set;         /* --lang given (else the locale decides) */
    bool no_color;
    bool ascii;            /* force the ASCII fallback glyphs */
    int width, height;     /* frames: --size WxH */
    int steps;             /* frames: how many step frames (-1 = not given) */
    const char *keys;      /* frames: keys to replay, one frame after each */
    bool print;            /* lesson: --print (handout text) */
    const char *lesson;    /* frames: --lesson N|FILE */
    bool reset_progress;   /* lesson: --reset-progress */
    int goto_step, goto_op; /* UI and frames: --goto STEP[.OP], start there (-1: not given; op 0: end of the step) */
    char **args;           /* lesson: the words after "lesson" (N, FILE, check FILE...) */
    int nargs;
} CliOptions;

/* Parse argv into o (defaults first). Returns 0, or -1 with err set. */
int cli_parse(int argc, char **argv, CliOptions *o, char *err, size_t errlen);

/* Tokenize o->prompt into ids (capacity cap) and validate the config and
 * the run. Every other prompt of a batch is checked the same way (and the
 * batch's memory). Returns the first prompt's length L (>= 1), or -1 with
 * err set. */
int cli_prepare(const CliOptions *o, int *ids, int cap, char *err, size_t errlen);

/* Every prompt of o as a TracePrompt (for trace_run_batch), tokenized into
 * one allocation *ids_out that the caller frees (also on error). Returns
 * the number of prompts, or -1 with err set. */
int cli_batch(const CliOptions *o, TracePrompt *out, int **ids_out, char *err, size_t errlen);

/* Parse a decimal integer in [lo, hi] for option `name`; -1 with err. */
int cli_parse_int(const char *name, const char *s, long long lo, long long hi, long long *out,
                  char *err, size_t errlen);

void cli_usage(void);    /* --help text, to stdout */

#endif
