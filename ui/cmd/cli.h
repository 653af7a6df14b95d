/* cli: the command line of kvsim, parsed and checked (no curses here).
 *
 *   kvsim [COMMAND] [OPTIONS]
 *   COMMAND: (none) = terminal UI, trace, export, frames, bench-ui, lesson,
 *            calc, bench, help
 *
 * One table of options (cli.c) says, for every option, its names, its
 * argument, the commands that take it and its help text; cli_parse() and
 * cli_usage() both read that table, so `kvsim CMD --help` lists exactly
 * what `kvsim CMD` accepts.
 *
 * cli_parse() only reads argv; cli_prepare() turns the prompt into tokens
 * and validates the whole configuration. Both report the first problem as
 * one line (what, where, what is allowed) and return -1; the caller prints
 * it with cli_bad_input (one line on stderr, ending with a pointer to the
 * command's own --help) and exits with status 2.
 */
#ifndef KVSIM_CLI_H
#define KVSIM_CLI_H

#include "sim/calc.h"
#include "sim/config.h"
#include "sim/modelfile.h"
#include "sim/trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CMD_UI, CMD_TRACE, CMD_EXPORT, CMD_FRAMES, CMD_BENCH_UI, CMD_LESSON, CMD_CALC, CMD_BENCH,
    CMD_TRAIN,   /* parsed by ui/cmd/train.c; listed here for --help and the man page */
    CMD_HELP, CMD_VERSION
} Command;
typedef enum { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON } Format;
/* Initial view of the UI, and `--mode` of the UI and of frames. */
typedef enum { VIEW_CACHE, VIEW_RECOMPUTE, VIEW_COMPARE, VIEW_TRAIN, VIEW_MEMORY, VIEW_COUNT } View;

/* What `kvsim --version` prints, and `kvsim bench --save-machine` records. */
#define KVSIM_VERSION "0.1.0"

/* --prompt may be given up to this many times: a batch of sequences. */
#define CLI_MAX_PROMPTS 16

/* `kvsim calc`: what its options said; ui/cmd/calc.c builds the shape. */
typedef struct {
    const char *model;     /* --model NAME or NULL */
    uint64_t d_model, n_layers, n_heads, n_kv_heads, d_ff, vocab, ffn_matrices, pos_embeddings;
    uint64_t window;
    bool window_set, pos_set, tied_set, tied, biases_set, biases, norm_set;
    int norm;              /* CalcNorm */
    bool context_set;
    bool spec_set;         /* --speculate or --acceptance: print the speculation section */
    bool prefix_set;       /* --shared-prefix: print the prefix-sharing section */
    bool block_set;        /* --block-size (only with --shared-prefix) */
    CalcInput in;          /* context, batch, dtype, memory, balance */
    bool json;
} CalcArgs;

/* `kvsim bench`: what its options said. */
typedef struct {
    bool json;
    int runs;              /* --runs */
    int recompute_runs;    /* --recompute-runs */
    unsigned shapes;       /* bit i: shape i of bench_default_specs; 0 = all */
    bool no_ui;            /* --no-ui */
    int cpu;               /* --cpu; -1: the probe picks (sim/bench.h, bench_pin) */
    bool save_machine;     /* --save-machine: write the machine file (ui/machine_file.h) */
    const char *machine_path;  /* --save-machine=FILE; NULL: machine_file_path() */
} BenchArgs;

typedef struct {
    Command cmd;
    Command help_for;      /* CMD_HELP: the command whose help (CMD_UI: the overview) */
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
    bool present;          /* UI and frames: --present, start in presenter mode */
    bool allow_large;      /* --allow-large: no work budget (sim/budget.h) */
    int width, height;     /* frames: --size WxH */
    int steps;             /* frames: how many step frames (-1 = not given) */
    const char *keys;      /* frames: keys to replay, one frame after each */
    bool print;            /* lesson: --print (handout text) */
    const char *lesson;    /* frames: --lesson N|FILE */
    const char *lesson_fixed;  /* the first option given that a lesson sets up itself
                                  (CliOpt.lesson_sets), or NULL: frames refuses it with --lesson */
    bool reset_progress;   /* lesson: --reset-progress */
    int goto_step, goto_op; /* UI and frames: --goto STEP[.OP], start there (-1: not given; op 0: end of the step) */
    const char *goto_arg;  /* --goto's value as typed (messages quote all of it), or NULL */
    char **args;           /* lesson: the words after "lesson" (N, FILE, check FILE...) */
    int nargs;
    const char *model_path;  /* --model FILE (§7); NULL = no file given */
    const char *shape_opt;   /* the first shape option given (--d-model ...), or NULL */
    CalcArgs calc;         /* calc only */
    BenchArgs bench;       /* bench only */
    /* parsing state: given values applied after every option is read */
    int kv_heads_given;    /* --kv-heads (0: follows --heads) */
    bool d_ff_given;
    bool prompt_given;
} CliOptions;

/* Parse argv into o (defaults first). Non-option words after the command
 * (lesson's N, FILE, check FILE...) are moved to the end of argv, in order,
 * and o->args points at them. Returns 0, or -1 with err set. */
int cli_parse(int argc, char **argv, CliOptions *o, char *err, size_t errlen);

/* Choose and load the model o runs (spec §1, §7): --model FILE; with
 * neither it nor a shape option the shipped trained model built into the
 * binary (modelfile_load_default); a shape option keeps the seeded random
 * model (mf stays empty). A lesson loads nothing (its slides set the
 * model). On success o->cfg runs the loaded weights (cfg.weights points
 * into mf, cfg.model_name names it) and the tokenizer uses its alphabet,
 * so call it before cli_prepare; mf must outlive every run built from
 * o->cfg. Returns 0, or -1 with one line in err. Always pair with
 * cli_model_free, which also restores the full alphabet. */
int cli_use_model(CliOptions *o, ModelFile *mf, char *err, size_t errlen);
void cli_model_free(ModelFile *mf);

/* Tokenize o->prompt into ids (capacity cap) and validate the config and
 * the run: every other prompt of a batch the same way, the batch's memory
 * and the work budget (sim/budget.h, unless --allow-large). Returns the
 * first prompt's length L (>= 1), or -1 with err set. */
int cli_prepare(const CliOptions *o, int *ids, int cap, char *err, size_t errlen);

/* Every prompt of o as a TracePrompt (for trace_run_batch), tokenized into
 * one allocation *ids_out that the caller frees (also on error). Returns
 * the number of prompts, or -1 with err set. */
int cli_batch(const CliOptions *o, TracePrompt *out, int **ids_out, char *err, size_t errlen);

/* Parse a decimal integer in [lo, hi] for option `name`: digits with an
 * optional leading '-' (then out of range when lo >= 0); no spaces, no
 * '+'. Returns 0, or -1 with err set. */
int cli_parse_int(const char *name, const char *s, long long lo, long long hi, long long *out,
                  char *err, size_t errlen);

/* A user's argument as messages echo it: at most 48 bytes, cut at a
 * character boundary and marked "…" (one of a few rotating buffers). */
const char *cli_clip(const char *s);

/* Bad input: print "kvsim: MSG; see 'kvsim CMD --help'" on stderr as ONE
 * line (CMD_UI: 'kvsim --help'); control characters of msg (a user's
 * argument may hold a newline or an escape) are shown as \xNN, so the line
 * can neither split nor drive the terminal. Returns 2, the exit status. */
int cli_bad_input(Command cmd, const char *msg);

/* "kvsim: MSG" on stderr as one line, control characters shown as \xNN:
 * for bad input whose message already says where to look (a lesson file's
 * 'path:line: ...', a lesson number's list). */
void cli_put_error(const char *msg);

/* The --help text of cmd (CMD_UI or CMD_HELP: the overview of every
 * command), generated from the option table. */
void cli_usage(FILE *f, Command cmd);

/* The name of cmd as typed ("trace"; "" for the UI). */
const char *cli_command_name(Command cmd);

#endif
