/* cli_table: the tables behind kvsim's command line (private to ui/cmd/).
 *
 * cli_commands: every command, its usage and its help text.
 * cli_options: every option, with the commands that take it, its help text
 * and the setter that stores its value into CliOptions. cli.c parses argv
 * and prints every --help from these two tables and nothing else, so the
 * help of a command lists exactly what the command accepts.
 */
#ifndef KVSIM_CLI_TABLE_H
#define KVSIM_CLI_TABLE_H

#include "ui/cmd/cli.h"

#include <stddef.h>

typedef struct {
    Command cmd;
    const char *name;      /* as typed; "" for the UI */
    const char *synopsis;  /* usage lines after "kvsim NAME" ('\n' between lines) */
    const char *summary;   /* one line of the overview */
    const char *about;     /* top of its --help: what it does */
} CliCommand;

#define CMD_BIT(c) (1u << (c))
/* the commands that run the tiny model; those whose run the command line
 * sets (a lesson sets its own on its slides); that draw screens; that
 * start in a view; every command */
#define CLI_ON_MODEL (CMD_BIT(CMD_UI) | CMD_BIT(CMD_TRACE) | CMD_BIT(CMD_EXPORT) | CMD_BIT(CMD_FRAMES) | \
                  CMD_BIT(CMD_BENCH_UI) | CMD_BIT(CMD_LESSON))
#define CLI_ON_RUN (CLI_ON_MODEL & ~CMD_BIT(CMD_LESSON))
/* chunked prefill and speculation (§6.7, §6.9): the commands that step a cache run */
#define CLI_ON_SERVE (CMD_BIT(CMD_UI) | CMD_BIT(CMD_TRACE) | CMD_BIT(CMD_FRAMES))
#define CLI_ON_SCREEN (CMD_BIT(CMD_UI) | CMD_BIT(CMD_FRAMES) | CMD_BIT(CMD_LESSON) | CMD_BIT(CMD_BENCH_UI))
#define CLI_ON_VIEW (CMD_BIT(CMD_UI) | CMD_BIT(CMD_FRAMES))
#define CLI_ON_ALL (CLI_ON_MODEL | CMD_BIT(CMD_CALC) | CMD_BIT(CMD_BENCH))

typedef struct CliOpt CliOpt;
/* Convert and store value v (NULL for a flag); 0, or -1 with err set. */
typedef int (*CliSetter)(CliOptions *o, const CliOpt *r, const char *v, char *err, size_t errlen);

struct CliOpt {
    const char *name;      /* long name, without "--" */
    char short_name;       /* -X, or 0 */
    const char *arg;       /* the value's name in help ("G", "table|csv|json"); NULL: a flag */
    bool arg_optional;     /* the value may be left out, and is given only after '='
                              ("--save-machine[=FILE]"): the next word is never its value */
    unsigned cmds;         /* CMD_BIT()s of the commands that take it */
    const char *group;     /* help heading */
    CliSetter set;         /* NULL: --help and --version, handled by the parser */
    size_t field;          /* offsetof(CliOptions, ...) for the generic setters */
    size_t flag;           /* offsetof a bool set when given; 0: none */
    long long lo, hi;      /* range of a number */
    const char *choices;   /* "a|b|c" for a word from a list (message and check) */
    const char *help;      /* '\n' between lines */
    /* What a lesson sets up in this option's place, as "a lesson sets up
     * its own <lesson_sets>" ("prompt on its slides (prompt: lines)").
     * Non-NULL: refused in lesson mode, where the slides would override it
     * ('kvsim lesson' has no such row at all; 'frames --lesson' refuses it
     * after parsing). NULL: the option applies to a lesson too. */
    const char *lesson_sets;
};

extern const CliCommand cli_commands[];
extern const int cli_n_commands;
extern const CliOpt cli_options[];
extern const int cli_n_options;

#endif
