/* calc_cmd: `kvsim calc ...` — the real-model calculator's command line.
 *
 * Parses its own options (argv[0] is "calc"), computes with sim/calc.h and
 * prints a table or JSON to stdout. Bad input: nothing on stdout, one line
 * "kvsim: ..." and "Try 'kvsim --help'." on stderr, status 2.
 */
#ifndef KVSIM_CALC_CMD_H
#define KVSIM_CALC_CMD_H

#include <stdio.h>

/* Run `kvsim calc`; returns the exit status (0, or 2 for bad input). */
int calc_cmd_run(int argc, char **argv);

/* The calc --help text. */
void calc_cmd_usage(FILE *f);

#endif
