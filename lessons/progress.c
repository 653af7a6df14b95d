/* progress: see progress.h. */
#include "lessons/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* snprintf that says whether everything fit: 0, or -1 when it was cut */
__attribute__((format(printf, 3, 4))) static int path_fmt(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, outlen, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The longest suffix added to the directory: "/progress.lock", "/progress.XXXXXX". */
#define SUFFIX_MAX 20

int progress_path(char *out, char *err, size_t errlen)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int rc;
    /* the XDG spec: a relative XDG_STATE_HOME is invalid and ignored */
    if (state && state[0] == '/') rc = path_fmt(out, PROGRESS_PATH_MAX - SUFFIX_MAX, "%s/kvsim/progress", state);
    else if (home && *home) rc = path_fmt(out, PROGRESS_PATH_MAX - SUFFIX_MAX, "%s/.local/state/kvsim/progress", home);
    else {
        snprintf(err, errlen, "cannot place the progress file: neither XDG_STATE_HOME nor HOME is set");
        out[0] = '\0';
        return -1;
    }
    if (rc) {
        const bool xdg = state && state[0] == '/';
        snprintf(err, errlen, "cannot place the progress file: %s is %zu bytes long, and the path must stay "
                 "under %d bytes", xdg ? "XDG_STATE_HOME" : "HOME", strlen(xdg ? state : home),
                 PROGRESS_PATH_MAX - SUFFIX_MAX);
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* ---- reading -------------------------------------------------------------- */

void progress_table_free(ProgressTable *t)
{
    free(t->rows);
    memset(t, 0, sizeof *t);
}

/* strict unsigned decimal (no sign, no space), at most 9 digits */
static int parse_uint(const char *s, size_t len, int *out)
{
    if (len == 0 || len > 9) return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_hex(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0 || len > 16) return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

static bool id_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int progress_parse_row(const char *line, size_t len, ProgressRow *r)
{
    const char *tok[8];
    size_t tlen[8];
    int n = 0;
    for (size_t i = 0; i < len;) {
        if (line[i] == ' ' || line[i] == '\t') {
            i++;
            continue;
        }
        if (n == 8) return -1;
        tok[n] = line + i;
        while (i < len && line[i] != ' ' && line[i] != '\t') i++;
        tlen[n] = (size_t)(line + i - tok[n]);
        n++;
    }
    if (n != 6 && n != 7) return -1;   /* 6: written before the mask existed */
    if (tlen[0] > PROGRESS_ID_MAX) return -1;
    for (size_t i = 0; i < tlen[0]; i++)
        if (!id_char((unsigned char)tok[0][i])) return -1;
    if (tlen[1] != 2 || (memcmp(tok[1], "en", 2) && memcmp(tok[1], "zh", 2))) return -1;
    Progress p = {0, 0, 0, 0, 0};
    if (parse_uint(tok[2], tlen[2], &p.seen) || parse_uint(tok[3], tlen[3], &p.slides) ||
        parse_uint(tok[4], tlen[4], &p.solved) || parse_uint(tok[5], tlen[5], &p.questions))
        return -1;
    if (n == 7 && parse_hex(tok[6], tlen[6], &p.solved_mask)) return -1;
    /* the ranges a lesson can produce */
    if (p.slides < 1 || p.slides > PROGRESS_SLIDES_MAX || p.seen < 1 || p.seen > p.slides) return -1;
    if (p.questions > p.slides || p.solved > p.questions) return -1;
    int bits = p.questions < 64 ? p.questions : 64;
    if (bits < 64 && (p.solved_mask >> bits)) return -1;
    if (n == 7 && p.questions <= 64 && p.solved != __builtin_popcountll(p.solved_mask)) return -1;
    memcpy(r->id, tok[0], tlen[0]);
    r->id[tlen[0]] = '\0';
    memcpy(r->lang, tok[1], 2);
    r->lang[2] = '\0';
    r->p = p;
    return 0;
}

static int find_row(const ProgressTable *t, const char *id, const char *lang)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->rows[i].id, id) && !strcmp(t->rows[i].lang, lang)) return i;
    return -1;
}

static int imax(int a, int b) { return a > b ? a : b; }

/* Fold p into row i: the furthest slide, the union of the questions solved. */
static void merge(Progress *q, Progress p)
{
    q->seen = imax(q->seen, p.seen);
    q->slides = p.slides ? p.slides : q->slides;
    q->questions = p.slides ? p.questions : q->questions;
    if (q->seen > q->slides) q->seen = q->slides;
    q->solved_mask |= p.solved_mask;
    if (q->questions < 64) q->solved_mask &= (1ull << q->questions) - 1;
    q->solved = __builtin_popcountll(q->solved_mask);
    if (q->questions > 64) q->solved = imax(q->solved, p.solved);
}

/* Add a row, or merge it into the row of the same (id, lang). */
static int table_add(ProgressTable *t, const ProgressRow *r)
{
    int i = find_row(t, r->id, r->lang);
    if (i >= 0) {
        merge(&t->rows[i].p, r->p);
        return 0;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 32;
        ProgressRow *rows = realloc(t->rows, sizeof *rows * (size_t)cap);
        if (!rows) return -1;
        t->rows = rows;
        t->cap = cap;
    }
    t->rows[t->n++] = *r;
    return 0;
}

/* Read the file at path (open O_NONBLOCK + fstat: a FIFO never blocks) and
 * parse it into t. A missing file is an empty table. */
static int load_from(const char *path, ProgressTable *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file; progress not read", path);
        close(fd);
        return -1;
    }
    if (st.st_size > PROGRESS_MAX_BYTES) {
        snprintf(err, errlen, "%s: %lld bytes, larger than the %d MiB limit for a progress file; not read "
                 "(kvsim lesson --reset-progress deletes it)", path, (long long)st.st_size, PROGRESS_MAX_BYTES >> 20);
        close(fd);
        return -1;
    }
    char *buf = malloc((size_t)PROGRESS_MAX_BYTES + 1);
    if (!buf) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t len = 0;
    for (;;) {
        ssize_t got = read(fd, buf + len, (size_t)PROGRESS_MAX_BYTES + 1 - len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (got == 0 || (len += (size_t)got) > PROGRESS_MAX_BYTES) break;
    }
    close(fd);
    if (len > PROGRESS_MAX_BYTES) {   /* it grew while being read */
        snprintf(err, errlen, "%s: larger than the %d MiB limit for a progress file; not read", path,
                 PROGRESS_MAX_BYTES >> 20);
        free(buf);
        return -1;
    }
    int line_no = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - buf) : len;
        line_no++;
        bool blank = true;
        for (size_t i = at; i < end && blank; i++) blank = buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r';
        ProgressRow r;
        if (blank) {
            /* nothing */
        } else if (progress_parse_row(buf + at, end - at, &r) == 0) {
            if (table_add(t, &r)) {
                snprintf(err, errlen, "out of memory");
                free(buf);
                progress_table_free(t);
                return -1;
            }
        } else {
            if (!t->invalid) t->first_invalid = line_no;
            t->invalid++;
        }
        at = end + 1;
    }
    free(buf);
    return 0;
}

int progress_load(ProgressTable *t, char *err, size_t errlen)
{
    char path[PROGRESS_PATH_MAX];
    memset(t, 0, sizeof *t);
    if (progress_path(path, err, errlen)) return -1;
    return load_from(path, t, err, errlen);
}

Progress progress_find(const ProgressTable *t, const char *id, const char *lang)
{
    Progress none = {0, 0, 0, 0, 0};
    int i = find_row(t, id, lang);
    return i < 0 ? none : t->rows[i].p;
}

/* ---- writing -------------------------------------------------------------- */

/* mkdir -p of dir (a copy is cut at each '/'); 0, or -1 with a message */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char p[PROGRESS_PATH_MAX];
    snprintf(p, sizeof p, "%s", dir);
    size_t len = strlen(p);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        struct stat st;
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
            return -1;
        }
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: not a directory", p);
            return -1;
        }
        p[i] = c;
    }
    return 0;
}

/* the directory of path (up to its last '/') */
static void dir_of(const char *path, char *out)
{
    snprintf(out, PROGRESS_PATH_MAX, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash && slash != out) *slash = '\0';
}

static int write_rows(int fd, const ProgressTable *t)
{
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    for (int j = 0; j < t->n; j++) {
        const ProgressRow *r = &t->rows[j];
        fprintf(f, "%s %s %d %d %d %d %llx\n", r->id, r->lang, r->p.seen, r->p.slides, r->p.solved,
                r->p.questions, r->p.solved_mask);
    }
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    int saved = errno;
    if (fclose(f) != 0) bad = 1;
    else errno = saved;
    return bad ? -1 : 0;
}

int progress_put(const char *id, const char *lang, Progress p, char *err, size_t errlen)
{
    char path[PROGRESS_PATH_MAX], dir[PROGRESS_PATH_MAX], lock[PROGRESS_PATH_MAX], tmp[PROGRESS_PATH_MAX];
    char msg[PROGRESS_PATH_MAX + 200];
    if (progress_path(path, err, errlen)) return -1;
    dir_of(path, dir);
    /* progress_path left SUFFIX_MAX bytes free, so these cannot be cut */
    if (path_fmt(lock, sizeof lock, "%s.lock", path) || path_fmt(tmp, sizeof tmp, "%s.XXXXXX", path)) {
        snprintf(err, errlen, "progress path too long");
        return -1;
    }
    if (make_dirs(dir, msg, sizeof msg)) {
        snprintf(err, errlen, "progress not saved: %s", msg);
        return -1;
    }
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd < 0) {
        snprintf(err, errlen, "progress not saved: %s: %s", lock, strerror(errno));
        return -1;
    }
    while (flock(lfd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        snprintf(err, errlen, "progress not saved: cannot lock %s: %s", lock, strerror(errno));
        close(lfd);
        return -1;
    }
    /* under the lock: the rows other kvsim processes saved, then ours */
    ProgressTable t;
    int rc = -1;
    if (load_from(path, &t, msg, sizeof msg)) {
        snprintf(err, errlen, "progress not saved: %s", msg);
        goto unlock;
    }
    ProgressRow r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.lang, sizeof r.lang, "%s", lang);
    r.p = p;
    r.p.solved = __builtin_popcountll(p.solved_mask);
    if (table_add(&t, &r)) {
        snprintf(err, errlen, "progress not saved: out of memory");
        goto done;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "progress not saved: cannot create a file in %s: %s", dir, strerror(errno));
        goto done;
    }
    if (write_rows(fd, &t) || rename(tmp, path) != 0) {
        snprintf(err, errlen, "progress not saved: %s: %s", tmp, strerror(errno));
        unlink(tmp);   /* the old file is untouched */
        goto done;
    }
    rc = 0;
done:
    progress_table_free(&t);
unlock:
    flock(lfd, LOCK_UN);
    close(lfd);
    return rc;
}

int progress_check_writable(char *err, size_t errlen)
{
    char path[PROGRESS_PATH_MAX], p[PROGRESS_PATH_MAX];
    if (progress_path(path, err, errlen)) return -1;
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    /* the nearest part of the directory that exists must be a writable directory */
    dir_of(path, p);
    for (;;) {
        if (stat(p, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s: not a directory", p);
                return -1;
            }
            if (access(p, W_OK | X_OK) != 0) {
                snprintf(err, errlen, "%s: %s", p, strerror(errno));
                return -1;
            }
            return 0;
        }
        if (errno != ENOENT) {
            snprintf(err, errlen, "%s: %s", p, strerror(errno));
            return -1;
        }
        char *slash = strrchr(p, '/');
        if (!slash || slash == p) return 0;
        *slash = '\0';
    }
}

int progress_reset(char *err, size_t errlen)
{
    char path[PROGRESS_PATH_MAX];
    if (progress_path(path, err, errlen)) return -1;
    if (remove(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
