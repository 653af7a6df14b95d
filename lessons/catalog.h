/* catalog: finding the shipped lessons.
 *
 * Shipped lessons are files lessons/<lang>/NN-name.lesson. The directory is
 * found, in order, from $KVSIM_LESSON_DIR, next to the executable
 * (<exe>/../lessons or <exe>/../../lessons, as in the source tree), or the installed copy
 * (<exe>/../share/kvsim/lessons).
 *
 * A student's progress is kept by lessons/progress.h.
 */
#ifndef KVSIM_CATALOG_H
#define KVSIM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#define CATALOG_MAX 100

typedef struct {
    int number;
    char path[1400];
    char title[256];
    char id[40];
} CatalogEntry;

/* Directory holding en/ and zh/; 0, or -1 with a message. */
int catalog_dir(char *out, size_t outlen, char *err, size_t errlen);

/* Lessons of language lang ("en"/"zh"), sorted by number. Files that do
 * not parse are skipped (kvsim lesson check reports them). Returns the
 * count, or -1 with a message. */
int catalog_list(const char *lang, CatalogEntry *out, int cap, char *err, size_t errlen);

/* Path of lesson number n in lang; 0, or -1 with a message listing the
 * numbers that exist. */
int catalog_find(const char *lang, int n, char *path, size_t pathlen, char *err, size_t errlen);

#endif
