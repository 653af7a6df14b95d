/* progress: remembering how far a student got in each lesson.
 *
 * One small text file per user, $XDG_STATE_HOME/kvsim/progress (default
 * ~/.local/state/kvsim/progress): one line per lesson id and language,
 *
 *     ID LANG SLIDES_SEEN N_SLIDES SOLVED N_QUESTIONS MASK
 *
 * (decimal numbers, MASK in hex: bit q = question q in file order answered
 * right). Rules, so that no progress is ever lost:
 *   - every path is built with a length check (PROGRESS_PATH_MAX) and
 *     refused with a message, never cut;
 *   - the file is read once per command, at most PROGRESS_MAX_BYTES; every
 *     valid row is kept, invalid lines are counted and reported (and dropped
 *     at the next save); blank lines are ignored;
 *   - a save takes an advisory lock (flock on progress.lock), re-reads the
 *     file, merges its row into the rows found there, writes a mkstemp()
 *     file in the same directory and renames it over the old one; on any
 *     failure the old file stays as it was and the caller gets a message.
 * Failing to read or write progress never stops a lesson.
 */
#ifndef KVSIM_PROGRESS_H
#define KVSIM_PROGRESS_H

#include <stddef.h>

#define PROGRESS_MAX_BYTES (1 << 20)  /* the file; larger is refused, not read */
#define PROGRESS_PATH_MAX 4096        /* bytes of any path built, with its NUL */
#define PROGRESS_ID_MAX 32            /* bytes of a lesson id (LESSON_MAX_ID) */
#define PROGRESS_SLIDES_MAX 200       /* LESSON_MAX_SLIDES */

typedef struct {
    int seen, slides;      /* furthest slide reached (1-based), of n */
    int solved, questions; /* questions answered right (at least once), of n */
    unsigned long long solved_mask; /* bit q: question q (file order) answered right */
} Progress;

typedef struct {
    char id[PROGRESS_ID_MAX + 1];
    char lang[3];
    Progress p;
} ProgressRow;

typedef struct {
    ProgressRow *rows;   /* (n) one row per (id, lang), in file order */
    int n, cap;
    int invalid;         /* lines ignored as invalid */
    int first_invalid;   /* line number of the first of them; 0 when none */
} ProgressTable;

/* The progress file's path into out (PROGRESS_PATH_MAX bytes); 0, or -1
 * with a message (path too long, neither XDG_STATE_HOME nor HOME set). */
int progress_path(char *out, char *err, size_t errlen);

/* Read the file once into t (a missing file is an empty table); 0, or -1
 * with a message (t is then empty and still to be freed). */
int progress_load(ProgressTable *t, char *err, size_t errlen);
void progress_table_free(ProgressTable *t);
/* Row of (id, lang); zeros when none. */
Progress progress_find(const ProgressTable *t, const char *id, const char *lang);

/* Parse one line (without its newline) into r; 0, or -1 when invalid.
 * Exposed for the tests. */
int progress_parse_row(const char *line, size_t len, ProgressRow *r);

/* Record progress under the lock: keeps the furthest slide, adds the
 * questions of p.solved_mask to those answered before, keeps every other
 * row. 0, or -1 with a message (the old file is then unchanged). */
int progress_put(const char *id, const char *lang, Progress p, char *err, size_t errlen);

/* Whether a save could succeed now (path, directory, permissions); 0, or
 * -1 with the reason. Creates nothing. */
int progress_check_writable(char *err, size_t errlen);

/* Delete the progress file; 0, or -1 with a message. */
int progress_reset(char *err, size_t errlen);

#endif
