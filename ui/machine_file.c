/* machine_file: see machine_file.h. */
#include "ui/machine_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int machine_file_path(char *buf, size_t cap, bool *from_env)
{
    *from_env = false;
    buf[0] = '\0';
    const char *env = getenv(MACHINE_FILE_ENV);
    int n;
    if (env) {
        *from_env = true;
        if (!*env) return 0;
        n = snprintf(buf, cap, "%s", env);
    } else {
        /* the XDG base directory rule: a relative XDG_CONFIG_HOME is ignored */
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        if (xdg && xdg[0] == '/') n = snprintf(buf, cap, "%s/kvsim/machine", xdg);
        else if (home && *home) n = snprintf(buf, cap, "%s/.config/kvsim/machine", home);
        else return 0;
    }
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0';
        return -1;
    }
    return 1;
}

/* ---- reading ------------------------------------------------------------- */

static MachineFileStatus problem(MachineFileProblem *p, MachineFileStatus s, int line, const char *key)
{
    p->status = s;
    p->line = line;
    snprintf(p->key, sizeof p->key, "%s", key ? key : "");
    return s;
}

/* A number > 0 and finite, the whole value. */
static bool positive(const char *v, double *out)
{
    char *end;
    errno = 0;
    const double x = strtod(v, &end);
    if (end == v || *end != '\0' || errno == ERANGE || !isfinite(x) || x <= 0) return false;
    *out = x;
    return true;
}

static bool whole(const char *v, long long lo, long long hi, long long *out)
{
    if (strspn(v, "0123456789") != strlen(v) || !*v || strlen(v) > 18) return false;
    const long long x = strtoll(v, NULL, 10);
    if (x < lo || x > hi) return false;
    *out = x;
    return true;
}

/* Copy a text value, printable ASCII and UTF-8 only (it may be drawn). */
static void keep_text(char *dst, size_t cap, const char *v)
{
    size_t j = 0;
    for (const unsigned char *s = (const unsigned char *)v; *s && j + 1 < cap; s++)
        dst[j++] = *s < 0x20 || *s == 0x7F ? '?' : (char)*s;
    dst[j] = '\0';
}

MachineFileStatus machine_file_parse(const char *text, size_t len, MachineRecord *r, MachineFileProblem *p)
{
    memset(r, 0, sizeof *r);
    memset(p, 0, sizeof *p);
    r->cpu = -1;
    bool have_format = false, have_gbs = false, have_peak = false;
    size_t at = 0;
    for (int line = 1; at < len; line++) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        char buf[MACHINE_FILE_LINE_MAX + 1];
        if (n > MACHINE_FILE_LINE_MAX) return problem(p, MACHINE_FILE_BAD_LINE, line, NULL);
        memcpy(buf, text + at, n);
        at += n + (nl ? 1 : 0);
        while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t')) n--;
        buf[n] = '\0';
        if (memchr(buf, '\0', n)) return problem(p, MACHINE_FILE_BAD_LINE, line, NULL);
        const char *s = buf + strspn(buf, " \t");
        if (!*s || *s == '#') continue;
        /* key: [a-z0-9_]+, then ':' */
        const size_t kn = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
        if (kn == 0 || kn >= sizeof p->key || s[kn] != ':') {
            if (!have_format) return problem(p, MACHINE_FILE_NOT_OURS, line, NULL);
            return problem(p, MACHINE_FILE_BAD_LINE, line, NULL);
        }
        char key[32];
        memcpy(key, s, kn);
        key[kn] = '\0';
        const char *v = s + kn + 1;
        v += strspn(v, " \t");
        if (!have_format) {
            if (strcmp(key, "format") || strcmp(v, MACHINE_FILE_FORMAT))
                return problem(p, MACHINE_FILE_NOT_OURS, line, NULL);
            have_format = true;
            continue;
        }
        long long x;
        if (!strcmp(key, "read_bandwidth_gbs")) {
            if (!positive(v, &r->gbs) || r->gbs > 1e6) return problem(p, MACHINE_FILE_BAD_VALUE, line, key);
            have_gbs = true;
        } else if (!strcmp(key, "peak_gflops")) {
            if (!positive(v, &r->gflops) || r->gflops > 1e9) return problem(p, MACHINE_FILE_BAD_VALUE, line, key);
            have_peak = true;
        } else if (!strcmp(key, "sweep_bytes")) {
            if (!whole(v, 1, (long long)1 << 50, &x)) return problem(p, MACHINE_FILE_BAD_VALUE, line, key);
            r->sweep_bytes = (uint64_t)x;
        } else if (!strcmp(key, "cpu")) {
            if (!whole(v, 0, 65535, &x)) return problem(p, MACHINE_FILE_BAD_VALUE, line, key);
            r->cpu = (int)x;
        } else if (!strcmp(key, "date")) {
            /* YYYY-MM-DD first; the rest (a time) is kept as it is */
            if (strlen(v) < 10 || strspn(v, "0123456789") != 4 || v[4] != '-' || v[7] != '-' ||
                strspn(v + 5, "0123456789") != 2 || strspn(v + 8, "0123456789") != 2)
                return problem(p, MACHINE_FILE_BAD_VALUE, line, key);
            keep_text(r->date, sizeof r->date, v);
        } else if (!strcmp(key, "sweep_shape")) {
            keep_text(r->sweep_shape, sizeof r->sweep_shape, v);
        } else if (!strcmp(key, "cpu_model")) {
            keep_text(r->cpu_model, sizeof r->cpu_model, v);
        } else if (!strcmp(key, "kvsim")) {
            keep_text(r->version, sizeof r->version, v);
        } else if (!strcmp(key, "kernels")) {
            keep_text(r->kernels, sizeof r->kernels, v);
        }
        /* any other key: written by a later kvsim; skipped */
    }
    if (!have_format) return problem(p, MACHINE_FILE_NOT_OURS, 0, NULL);
    if (!have_gbs) return problem(p, MACHINE_FILE_NO_KEY, 0, "read_bandwidth_gbs");
    if (!have_peak) return problem(p, MACHINE_FILE_NO_KEY, 0, "peak_gflops");
    return problem(p, MACHINE_FILE_OK, 0, NULL);
}

MachineFileStatus machine_file_read(const char *path, MachineRecord *r, MachineFileProblem *p)
{
    memset(p, 0, sizeof *p);
    FILE *f = fopen(path, "rb");
    if (!f) {
        p->err = errno;
        return problem(p, errno == ENOENT ? MACHINE_FILE_MISSING : MACHINE_FILE_UNREADABLE, 0, NULL);
    }
    char *text = malloc(MACHINE_FILE_MAX_BYTES + 1);
    if (!text) {
        fclose(f);
        p->err = ENOMEM;
        return problem(p, MACHINE_FILE_UNREADABLE, 0, NULL);
    }
    /* a directory opens but does not read: EISDIR */
    const size_t n = fread(text, 1, MACHINE_FILE_MAX_BYTES + 1, f);
    const int read_err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    MachineFileStatus s;
    if (read_err) {
        p->err = read_err;
        s = problem(p, MACHINE_FILE_UNREADABLE, 0, NULL);
    } else if (n > MACHINE_FILE_MAX_BYTES) {
        s = problem(p, MACHINE_FILE_TOO_BIG, 0, NULL);
    } else {
        s = machine_file_parse(text, n, r, p);
    }
    free(text);
    return s;
}

const char *machine_file_problem_text(const MachineFileProblem *p, bool zh, char *buf, size_t cap)
{
    switch (p->status) {
    case MACHINE_FILE_OK: snprintf(buf, cap, "%s", zh ? "可用" : "fine"); break;
    case MACHINE_FILE_MISSING: snprintf(buf, cap, "%s", zh ? "文件不存在" : "no such file"); break;
    case MACHINE_FILE_UNREADABLE:
        if (zh) snprintf(buf, cap, "无法读取（%s）", strerror(p->err));
        else snprintf(buf, cap, "cannot read it (%s)", strerror(p->err));
        break;
    case MACHINE_FILE_NOT_OURS:
        snprintf(buf, cap, zh ? "不是机器文件（应以 \"format: %s\" 开头）"
                              : "not a machine file (no \"format: %s\" first)", MACHINE_FILE_FORMAT);
        break;
    case MACHINE_FILE_BAD_LINE:
        snprintf(buf, cap, zh ? "第 %d 行不是\"键: 值\"" : "line %d is not \"key: value\"", p->line);
        break;
    case MACHINE_FILE_BAD_VALUE:
        snprintf(buf, cap, zh ? "第 %d 行：%s 的值无效" : "line %d: %s has a bad value", p->line, p->key);
        break;
    case MACHINE_FILE_NO_KEY: snprintf(buf, cap, zh ? "缺少 %s" : "no %s", p->key); break;
    case MACHINE_FILE_TOO_BIG:
        snprintf(buf, cap, zh ? "超过 %d 字节" : "over %d bytes", MACHINE_FILE_MAX_BYTES);
        break;
    }
    return buf;
}

/* ---- writing ------------------------------------------------------------- */

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, cap, ".");
    else if (slash == path) snprintf(dir, cap, "/");
    else snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

int machine_file_check(const char *path, bool make_dir, char *err, size_t errlen)
{
    char dir[4096];
    struct stat st;
    if (!*path) FAIL("the file name is empty");
    if (strlen(path) >= sizeof dir) FAIL("the path is longer than %zu bytes", sizeof dir - 1);
    if (path[strlen(path) - 1] == '/') FAIL("%s is a directory; expected a file name", path);
    dir_of(path, dir, sizeof dir);
    if (stat(dir, &st) != 0 && make_dir && errno == ENOENT) {
        /* the default path: ~/.config may be missing on a fresh account too */
        char parent[4096];
        dir_of(dir, parent, sizeof parent);
        if (stat(parent, &st) != 0 && errno == ENOENT) (void)mkdir(parent, 0700);
        (void)mkdir(dir, 0755);
    }
    if (stat(dir, &st) != 0) FAIL("cannot use the directory %s (%s)", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) FAIL("%s is not a directory", dir);
    if (access(dir, W_OK | X_OK) != 0) FAIL("cannot write in %s (%s)", dir, strerror(errno));
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) FAIL("%s exists and is not a regular file", path);
        if (access(path, W_OK) != 0) FAIL("cannot write %s (%s)", path, strerror(errno));
    }
    return 0;
}

int machine_file_write(const char *path, const MachineRecord *r, char *err, size_t errlen)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp)
        FAIL("%s: the path is too long", path);
    FILE *f = fopen(tmp, "w");
    if (!f) FAIL("cannot write %s (%s)", tmp, strerror(errno));
    fprintf(f, "# kvsim machine file: this machine as `kvsim bench --save-machine` measured it,\n"
               "# one thread. The memory view draws its roofline from read_bandwidth_gbs and\n"
               "# peak_gflops (unless KVSIM_MACHINE is set); see docs/performance.md, section 8.\n"
               "# One \"key: value\" a line; edit with care, or run the bench again.\n");
    fprintf(f, "format: %s\n", MACHINE_FILE_FORMAT);
    fprintf(f, "read_bandwidth_gbs: %.2f\n", r->gbs);
    fprintf(f, "peak_gflops: %.2f\n", r->gflops);
    if (r->sweep_bytes) fprintf(f, "sweep_bytes: %llu\n", (unsigned long long)r->sweep_bytes);
    if (*r->sweep_shape) fprintf(f, "sweep_shape: %s\n", r->sweep_shape);
    if (r->cpu >= 0) fprintf(f, "cpu: %d\n", r->cpu);
    if (*r->cpu_model) fprintf(f, "cpu_model: %s\n", r->cpu_model);
    if (*r->date) fprintf(f, "date: %s\n", r->date);
    if (*r->version) fprintf(f, "kvsim: %s\n", r->version);
    if (*r->kernels) fprintf(f, "kernels: %s\n", r->kernels);
    const bool bad = ferror(f) != 0;
    const int e = errno;
    if (fclose(f) != 0 || bad) {
        const int e2 = bad ? e : errno;
        remove(tmp);
        FAIL("cannot write %s (%s)", tmp, strerror(e2));
    }
    if (rename(tmp, path) != 0) {
        const int e2 = errno;
        remove(tmp);
        FAIL("cannot replace %s (%s)", path, strerror(e2));
    }
    return 0;
}

void machine_file_cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512], name[128] = "", family[16] = "", model[16] = "";
    /* the first processor's block is enough: the lines of one CPU */
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n' && *name) break;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        char *v = colon + 1;
        v += strspn(v, " \t");
        v[strcspn(v, "\n")] = '\0';
        *colon = '\0';
        for (char *e = colon - 1; e >= line && (*e == ' ' || *e == '\t'); e--) *e = '\0';
        if (!strcmp(line, "model name")) snprintf(name, sizeof name, "%s", v);
        else if (!strcmp(line, "cpu family")) snprintf(family, sizeof family, "%s", v);
        else if (!strcmp(line, "model")) snprintf(model, sizeof model, "%s", v);
    }
    fclose(f);
    if (!*name) return;
    if (*family && *model) snprintf(buf, cap, "%s (family %s, model %s)", name, family, model);
    else snprintf(buf, cap, "%s", name);
}
