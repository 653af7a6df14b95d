/* catalog: finding the shipped lessons, and remembering a student's progress.
 *
 * Shipped lessons are files lessons/<lang>/NN-name.lesson. The directory is
 * found, in order, from $KVSIM_LESSON_DIR, next to the executable
 * (<exe>/../lessons or <exe>/../../lessons, as in the source tree), or the installed copy
 * (<exe>/../share/kvsim/lessons).
 *
 * Progress is one small text file per user, in $XDG_STATE_HOME/kvsim/progress
 * (default ~/.local/state/kvsim/progress): one line per lesson id and
 * language, "ID LANG SLIDES_SEEN N_SLIDES SOLVED N_QUESTIONS MASK". Failing to
 * read or write it is never an error for the lesson itself.
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

typedef struct {
    int seen, slides;      /* furthest slide reached (1-based), of n */
    int solved, questions; /* questions answered right (at least once), of n */
    unsigned long long solved_mask; /* bit q: question q (file order) answered right */
} Progress;

/* Progress of lesson id in lang (zeros when none). */
Progress progress_get(const char *id, const char *lang);
/* Record progress: keeps the furthest slide, and adds the questions of
 * p.solved_mask to those answered before (solved = how many bits). */
void progress_put(const char *id, const char *lang, Progress p);
/* Delete the progress file; 0, or -1 with a message. */
int progress_reset(char *err, size_t errlen);
/* The progress file's path (for messages). */
const char *progress_path(void);

#endif
