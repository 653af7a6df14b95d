/* live: the interactive terminal UI (the only caller of term.h besides
 * keys). Returns the process exit status: 0 on quit, 1 when there is no
 * usable terminal, 128 + signal when interrupted. */
#ifndef KVSIM_LIVE_H
#define KVSIM_LIVE_H

#include "lessons/lesson.h"
#include "ui/cmd/cli.h"

int live_run(const CliOptions *o, const int *ids, int L);
/* The same with a lesson (ownership of l passes to the UI). */
int live_run_lesson(const CliOptions *o, const int *ids, int L, Lesson *l);

#endif
