/* bench_cmd: `kvsim bench` — wall-clock speed of cache vs recompute, and
 * the UI frame time, in one report.
 *
 *   kvsim bench [--format table|json] [--runs N] [--recompute-runs M]
 *               [--shape NAME]... [--quick] [--no-ui] [--cpu N]
 *               [--save-machine[=FILE]]
 *
 * Its options are rows of the option table of ui/cmd/cli.c (parsed into
 * CliOptions.bench); the measuring is sim/bench.c (engines) and, for the
 * UI, app_render + canvas_dump timed exactly as `kvsim bench-ui` does. Bad
 * input: nothing on stdout, one line "kvsim: ...; see 'kvsim bench --help'"
 * on stderr, status 2 (a --save-machine path that cannot be written too,
 * checked before measuring). --save-machine writes the machine measured
 * to a file that the memory view's roofline reads (ui/machine_file.h).
 * Method and numbers: docs/performance.md.
 */
#ifndef KVSIM_BENCH_CMD_H
#define KVSIM_BENCH_CMD_H

#include "ui/cmd/cli.h"

/* Run `kvsim bench`; returns the exit status (0; 1 when a run could not be
 * set up, e.g. out of memory). */
int bench_cmd_run(const CliOptions *o);

#endif
