/* budget: the work limit of one run, decided before anything runs.
 *
 * A run's cost is known in closed form (sim/formulas.h): the MACs of the
 * cache, recompute and train passes of every sequence. kvsim refuses a run
 * whose total exceeds BUDGET_MAX_MACS (5·10^10: about ten seconds of one
 * core here; 4·10^10 took 8 s) unless the user said --allow-large, so that a typo in
 * --max-seq, or a lesson's `model:` line, cannot keep the machine busy for
 * hours. The command line (ui/cmd/cli.c) and the lessons
 * (lessons/measure.c) both call budget_check, so both refuse with the same
 * words.
 */
#ifndef KVSIM_BUDGET_H
#define KVSIM_BUDGET_H

#include "sim/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUDGET_MAX_MACS 50000000000ULL   /* 5·10^10 multiply-accumulates */

/* Lift the limit for the rest of the process (--allow-large). A process
 * setting rather than a field of KvConfig: a lesson builds its own configs,
 * and the user's --allow-large must reach those too. */
void budget_allow_large(bool allow);

/* MACs of one sequence of an L-token prompt and G steps in all three modes
 * (cache + recompute + train), from the closed forms; UINT64_MAX when the
 * sum does not fit in 64 bits. */
uint64_t budget_run_macs(const KvConfig *c, int L, int G);

/* Check n sequences of prompt lengths Ls[0..n-1], each with G steps.
 * Returns 0, or -1 with one line in err naming the total and the limit. */
int budget_check(const KvConfig *c, const int *Ls, int n, int G, char *err, size_t errlen);

#endif
