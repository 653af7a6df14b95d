/* catalog: see catalog.h. */
#include "lessons/catalog.h"

#include "lessons/lesson.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int catalog_dir(char *out, size_t outlen, char *err, size_t errlen)
{
    const char *env = getenv("KVSIM_LESSON_DIR");
    if (env && *env) {
        if (!is_dir(env)) {
            snprintf(err, errlen, "KVSIM_LESSON_DIR=%s: not a directory", env);
            return -1;
        }
        snprintf(out, outlen, "%s", env);
        return 0;
    }
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        /* build/kvsim and build/asan/kvsim in the source tree, then installed */
        const char *rel[] = {"/../lessons", "/../../lessons", "/../share/kvsim/lessons"};
        for (int i = 0; i < 3; i++) {
            char cand[1100];
            snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
            char en[1200];
            snprintf(en, sizeof en, "%s/en", cand);
            if (is_dir(en)) {
                snprintf(out, outlen, "%s", cand);
                return 0;
            }
        }
    }
    snprintf(err, errlen, "cannot find the lessons directory; set KVSIM_LESSON_DIR");
    return -1;
}

static int by_number(const void *a, const void *b)
{
    return ((const CatalogEntry *)a)->number - ((const CatalogEntry *)b)->number;
}

int catalog_list(const char *lang, CatalogEntry *out, int cap, char *err, size_t errlen)
{
    char dir[1024], sub[1100];
    if (catalog_dir(dir, sizeof dir, err, errlen)) return -1;
    snprintf(sub, sizeof sub, "%s/%s", dir, lang);
    DIR *d = opendir(sub);
    if (!d) {
        snprintf(err, errlen, "%s: %s", sub, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < cap) {
        size_t len = strlen(de->d_name);
        if (len < 8 || strcmp(de->d_name + len - 7, ".lesson")) continue;
        CatalogEntry *e = &out[n];
        snprintf(e->path, sizeof e->path, "%s/%s", sub, de->d_name);
        Lesson l;
        char perr[512];
        if (lesson_load(e->path, &l, perr, sizeof perr)) continue;
        e->number = l.number;
        snprintf(e->title, sizeof e->title, "%s", l.title);
        snprintf(e->id, sizeof e->id, "%s", l.id);
        lesson_free(&l);
        n++;
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof *out, by_number);
    return n;
}

int catalog_find(const char *lang, int number, char *path, size_t pathlen, char *err, size_t errlen)
{
    CatalogEntry *all = malloc(sizeof(CatalogEntry) * CATALOG_MAX);
    if (!all) return -1;
    int n = catalog_list(lang, all, CATALOG_MAX, err, errlen);
    int rc = -1;
    for (int i = 0; i < n; i++)
        if (all[i].number == number) {
            snprintf(path, pathlen, "%s", all[i].path);
            rc = 0;
        }
    if (rc && n >= 0)
        snprintf(err, errlen, "lesson %d: no such lesson; expected a number from the list (%d to %d), "
                 "or a file name", number, n ? all[0].number : 0, n ? all[n - 1].number : 0);
    free(all);
    return rc;
}

/* ---- progress ------------------------------------------------------------- */

static char progress_file[1100];

const char *progress_path(void)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (state && *state) snprintf(progress_file, sizeof progress_file, "%s/kvsim/progress", state);
    else snprintf(progress_file, sizeof progress_file, "%s/.local/state/kvsim/progress", home ? home : ".");
    return progress_file;
}

/* mkdir -p of the file's directory */
static void make_parent(const char *file)
{
    char p[1100];
    snprintf(p, sizeof p, "%s", file);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
}

typedef struct {
    char id[40], lang[4];
    Progress p;
} Row;

static int read_rows(Row *rows, int cap)
{
    FILE *f = fopen(progress_path(), "r");
    if (!f) return 0;
    int n = 0;
    char line[256];
    while (n < cap && fgets(line, sizeof line, f)) {
        Row *r = &rows[n];
        r->p.solved_mask = 0;
        int got = sscanf(line, "%39s %3s %d %d %d %d %llx", r->id, r->lang, &r->p.seen, &r->p.slides,
                         &r->p.solved, &r->p.questions, &r->p.solved_mask);
        if (got >= 6) n++;
    }
    fclose(f);
    return n;
}

Progress progress_get(const char *id, const char *lang)
{
    Progress none = {0, 0, 0, 0, 0};
    Row rows[256];
    int n = read_rows(rows, 256);
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].id, id) && !strcmp(rows[i].lang, lang)) return rows[i].p;
    return none;
}

static int imax(int a, int b) { return a > b ? a : b; }

void progress_put(const char *id, const char *lang, Progress p)
{
    Row rows[256];
    int n = read_rows(rows, 255), i;
    for (i = 0; i < n; i++)
        if (!strcmp(rows[i].id, id) && !strcmp(rows[i].lang, lang)) break;
    if (i == n) {
        memset(&rows[n], 0, sizeof rows[n]);
        snprintf(rows[n].id, sizeof rows[n].id, "%s", id);
        snprintf(rows[n].lang, sizeof rows[n].lang, "%s", lang);
        n++;
    }
    Progress *q = &rows[i].p;
    q->seen = imax(q->seen, p.seen);
    q->slides = p.slides;
    q->solved_mask |= p.solved_mask;
    q->solved = __builtin_popcountll(q->solved_mask);
    q->questions = p.questions;
    const char *path = progress_path();
    make_parent(path);
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    for (int j = 0; j < n; j++)
        fprintf(f, "%s %s %d %d %d %d %llx\n", rows[j].id, rows[j].lang, rows[j].p.seen, rows[j].p.slides,
                rows[j].p.solved, rows[j].p.questions, rows[j].p.solved_mask);
    if (fclose(f) == 0) rename(tmp, path);   /* never leave a half-written file */
    else remove(tmp);
}

int progress_reset(char *err, size_t errlen)
{
    const char *path = progress_path();
    if (remove(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
