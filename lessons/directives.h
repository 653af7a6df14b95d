/* directives: the values of a slide's set-up lines (internal to lessons/).
 *
 * Shared by lesson.c (the line parser) and setup.c (which implements them
 * with the rest of the SlideSetup helpers). No allocation: a SlideSetup's
 * prompt is stored by the caller.
 */
#ifndef KVSIM_LESSONS_DIRECTIVES_H
#define KVSIM_LESSONS_DIRECTIVES_H

#include "lessons/lesson.h"

#include <stddef.h>

typedef enum {
    DIR_PROMPT,
    DIR_GEN,
    DIR_MODEL,
    DIR_MODE,
    DIR_GOTO,
    DIR_SELECT,
    DIR_POINT,
    DIR_COUNT
} Directive;

/* "prompt", "gen", ... or NULL when k is out of range. */
const char *directive_name(Directive d);

/* The directive called `key` (without ':'), or -1. */
int directive_find(const char *key);

/* Parse `value` (NUL-terminated, trimmed, non-empty) of directive d into
 * s, setting its bits and s->line[] to `line`. The prompt is left to the
 * caller (s->prompt is not touched). Returns 0, or -1 with a one-line
 * message (no "path:line:") in msg. */
int directive_parse(Directive d, char *value, int line, SlideSetup *s, char *msg, size_t msglen);

/* Strict decimal integer in lo..hi; 0, or -1 with
 * "NAME 'x': not a number; expected an integer from lo to hi" /
 * "NAME x: out of range; expected ...". */
int parse_int_in(const char *name, const char *s, long long lo, long long hi, long long *out,
                 char *msg, size_t msglen);

#endif
