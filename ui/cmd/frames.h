/* frames: the UI without a terminal. `kvsim frames` prints the screens the
 * live UI would show, as plain text, one after each key or token step;
 * `kvsim bench-ui` times building them. Same App, same app_render(). */
#ifndef KVSIM_FRAMES_H
#define KVSIM_FRAMES_H

#include "ui/cmd/cli.h"

#include <stddef.h>
#include <stdio.h>

/* Turn a --keys string into term.h key codes (at most cap). "<Right>" etc.
 * name special keys. Returns the count, or -1 with a message in err. */
int frames_parse_keys(const char *s, int *keys, int cap, char *err, size_t errlen);

/* Print the frames for o; returns an exit status (0, or 2 on bad --keys). */
int frames_run(const CliOptions *o, const int *ids, int L, FILE *out);

/* Time app_render at 80x24, 120x40 and 200x60 over a whole run; prints a table. */
int frames_bench(const CliOptions *o, const int *ids, int L, FILE *out);

#endif
