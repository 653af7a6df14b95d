/* question: the lines that follow a slide's '?' (internal to lessons/).
 *
 * lesson.c reads the '?' and '=' lines and hands every `key: value` line
 * after them to question_key(); when the slide ends, question_finish()
 * checks the question as a whole. Messages are one line without
 * "path:line:" (lesson.c adds it).
 */
#ifndef KVSIM_LESSONS_QUESTION_H
#define KVSIM_LESSONS_QUESTION_H

#include "lessons/lesson.h"

#include <stdbool.h>
#include <stddef.h>

/* Whether `key` (without ':') is a question line: hint, explain,
 * tolerance, choice, choices, wrong or reveal-ok. */
bool question_is_key(const char *key);

/* Add the line `key: value` (value trimmed, may be modified) at `line` to
 * q. zh: the lesson is Chinese (the words of `choices: true-false`).
 * Returns 0, or -1 with a message in msg. */
int question_key(Question *q, const char *key, char *value, int line, bool zh, char *msg,
                 size_t msglen);

/* Check a question at the end of its slide: it has an answer; a choice
 * question has 2 or more options, its '=' names one of their keys (then
 * q->correct is set), it has no tolerance, and each `wrong:` names another
 * key. Returns 0, or -1 with a message in msg and its line in *line. */
int question_finish(Question *q, int *line, char *msg, size_t msglen);

/* Free what the question owns (safe on a zeroed Question). */
void question_free(Question *q);

#endif
