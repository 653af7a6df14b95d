/* lesson_handout.h: the handout of a shipped lesson as one string, for
 * the suites that check lesson texts (test_lessons_shipped*.c). Include
 * after cmocka.h, lessons/catalog.h and lessons/lesson.h. */
#ifndef KVSIM_TESTS_LESSON_HANDOUT_H
#define KVSIM_TESTS_LESSON_HANDOUT_H

#include <stdio.h>
#include <stdlib.h>

/* The handout (`kvsim lesson N --print`) of lesson n in lang, from the
 * repository's lessons/ (caller frees). */
static inline char *handout(const char *lang, int n)
{
    char err[512], path[1400];
    setenv("KVSIM_LESSON_DIR", "lessons", 1);
    assert_int_equal(catalog_find(lang, n, path, sizeof path, err, sizeof err), 0);
    Lesson l;
    if (lesson_load(path, &l, err, sizeof err)) fail_msg("%s", err);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (lesson_print(&l, f, err, sizeof err)) fail_msg("%s", err);
    fclose(f);
    lesson_free(&l);
    return buf;
}

#endif
