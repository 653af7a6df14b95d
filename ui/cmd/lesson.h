/* lesson_cmd: `kvsim lesson ...` — list, play, print, check, reset. */
#ifndef KVSIM_LESSON_CMD_H
#define KVSIM_LESSON_CMD_H

#include "lessons/lesson.h"
#include "ui/cmd/cli.h"

/* Run the lesson command; returns the exit status. ids/L: the CLI's
 * prompt (the App starts on it before the first slide sets its own). */
int lesson_cmd_run(const CliOptions *o, const int *ids, int L);

/* Load lesson `which` (a number from the list in o's language, or a file
 * path) into *out. Returns 0, or -1 with a message. */
int lesson_cmd_load(const CliOptions *o, const char *which, Lesson *out, char *err, size_t errlen);

#endif
