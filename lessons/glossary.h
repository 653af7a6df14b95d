/* glossary: the English/Chinese terms of the lessons (docs/glossary.md),
 * and the check that a Chinese lesson keeps to them.
 *
 * Each term has one Chinese rendering; `avoid` lists the variants that
 * have crept into earlier drafts ("屏蔽" for masked, "令牌" for token,
 * the bare English word in Chinese text, ...). lesson_check() warns when a
 * zh lesson uses one of them. Text inside {templates}, `code` and
 * full-width parentheses （…） is skipped, so a gloss such as
 * 词元（token） or 教师强制（teacher forcing） is allowed.
 *
 * docs/glossary.md lists the same table; tests/test_lesson_question.c
 * checks that every term here appears there.
 */
#ifndef KVSIM_GLOSSARY_H
#define KVSIM_GLOSSARY_H

#include "lessons/lesson.h"

#include <stdio.h>

typedef struct {
    const char *en;     /* the English term */
    const char *zh;     /* the Chinese term the lessons use */
    const char *avoid;  /* variants to avoid in zh lessons, '|'-separated;
                           ASCII ones match whole words, case-insensitively */
} GlossaryTerm;

/* The table; *n is set to its length. */
const GlossaryTerm *glossary_terms(int *n);

/* Warn about every variant a zh lesson uses (nothing for en lessons): one
 * line per use, "path:line: warning: '屏蔽' is not the glossary's term;
 * write '被掩码' (masked), see docs/glossary.md". Returns the number of
 * warnings. report may be NULL (count only). */
int glossary_check(const Lesson *l, FILE *report);

#endif
