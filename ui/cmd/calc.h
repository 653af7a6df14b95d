/* calc_cmd: `kvsim calc ...` — the real-model calculator's command line.
 *
 * Its options are rows of the option table of ui/cmd/cli.c (parsed into
 * CliOptions.calc); this file builds the shape, computes with sim/calc.h
 * and prints a table or JSON to stdout. Bad input: nothing on stdout, one
 * line "kvsim: ...; see 'kvsim calc --help'" on stderr, status 2.
 */
#ifndef KVSIM_CALC_CMD_H
#define KVSIM_CALC_CMD_H

#include "ui/cmd/cli.h"

/* Run `kvsim calc`; returns the exit status (0, or 2 for bad input). */
int calc_cmd_run(const CliOptions *o);

#endif
