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
