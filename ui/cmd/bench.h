/* bench_cmd: `kvsim bench` — wall-clock speed of cache vs recompute, and
 * the UI frame time, in one report.
 *
 *   kvsim bench [--format table|json] [--runs N] [--recompute-runs M]
 *               [--shape NAME]... [--quick] [--no-ui]
 *
 * Parses its own options (argv[0] is "bench"); the measuring is
 * sim/bench.c (engines) and, for the UI, app_render + canvas_dump timed
 * exactly as `kvsim bench-ui` does. Bad input: nothing on stdout, one line
 * "kvsim: ..." and "Try 'kvsim bench --help'." on stderr, status 2.
 * Method and numbers: docs/performance.md.
 */
#ifndef KVSIM_BENCH_CMD_H
#define KVSIM_BENCH_CMD_H

#include <stdio.h>

/* Run `kvsim bench`; returns the exit status (0; 1 when a run could not be
 * set up, e.g. out of memory; 2 for bad input). */
int bench_cmd_run(int argc, char **argv);

/* The bench --help text. */
void bench_cmd_usage(FILE *f);

#endif
