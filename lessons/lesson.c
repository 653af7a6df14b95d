/* lesson: the line parser of docs/lessons.md. See lesson.h.
 *
 * Two passes, both linear and non-recursive:
 *   1. scan the bytes: size, NUL and control bytes, UTF-8, line lengths;
 *   2. one line at a time through three states: header, slide, question.
 *
 * Classification of a (trimmed) line:
 *   blank                       ends a paragraph
 *   '#' first                   comment (does not end a paragraph)
 *   "---"                       "--- slide: TITLE"
 *   '?' first / '=' first       question / answer
 *   "key:" + blank or end       a directive (key = [a-z][a-z0-9_-]*); an
 *                               unknown key is an error, so "Note: ..." with
 *                               a capital, "http://..." or "键：值" are text
 *   anything else               narration
 * Directive and question lines end the current paragraph. Lines of a
 * paragraph are trimmed and joined with one space, or with nothing when the
 * end of the first or the start of the next is a CJK character.
 *
 * Values are trimmed; `prompt: "..."` keeps spaces inside the quotes. A
 * question ('?') must be the last thing in its slide: after it only '=',
 * tolerance:, hint:, explain:, choice:, choices:, wrong: and reveal-ok:
 * lines (and blanks, comments) may follow.
 * Byte positions in messages are 1-based, like the tokenizer's.
 */
#include "lessons/lesson.h"

#include "lessons/directives.h"
#include "lessons/question.h"
#include "sim/tokenizer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum { IN_HEADER, IN_SLIDE, IN_QUESTION } Where;

enum { HK_LESSON, HK_ID, HK_LANG, HK_TITLE, HK_COUNT };
static const char *const header_keys[HK_COUNT] = {"lesson", "id", "lang", "title"};

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
    Lesson *out;
    int line;                  /* 1-based number of the line being read */
    Where where;
    int header_line[HK_COUNT]; /* 0 until the key is seen */
    bool any_content;          /* a non-blank, non-comment line was seen */
    Slide *cur;                /* slide being filled, or NULL */
    int dir_line[DIR_COUNT];   /* directives of the current slide */
    char *para;                /* paragraph being joined (NULL: none open) */
    size_t para_len, para_cap;
    int para_line;
} Parser;

__attribute__((format(printf, 3, 4))) static int fail(Parser *p, int line, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->err && p->errlen) snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, msg);
    return -1;
}

static char *dup_n(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

/* ---- pass 1: bytes ------------------------------------------------------- */

static int scan_bytes(Parser *p, const char *text, size_t len, size_t start)
{
    int line = 1;
    size_t i = start;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - i;
        if (n > 0 && text[end - 1] == '\r') n--;
        if (n > LESSON_MAX_LINE)
            return fail(p, line, "line is %zu bytes long; at most %d allowed", n, LESSON_MAX_LINE);
        for (size_t j = i; j < i + n;) {
            unsigned char c = (unsigned char)text[j];
            if (c == 0)
                return fail(p, line, "NUL byte at byte %zu: this looks like a binary file, not "
                            "a UTF-8 lesson", j + 1);
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return fail(p, line, "control character 0x%02x at byte %zu; a lesson is plain "
                            "UTF-8 text (tabs allowed)", c, j + 1);
            if (c < 0x80) {
                j++;
                continue;
            }
            /* decode from a bounded, NUL-terminated copy */
            char tmp[5] = {0};
            size_t k = i + n - j < 4 ? i + n - j : 4;
            memcpy(tmp, text + j, k);
            int32_t cp;
            int used = utf8_next(tmp, &cp);
            if (used <= 0)
                return fail(p, line, "invalid UTF-8 at byte %zu (0x%02x); save the file as UTF-8",
                            j + 1, c);
            j += (size_t)used;
        }
        i = end + 1;
        line++;
    }
    return 0;
}

/* ---- paragraphs ---------------------------------------------------------- */

static bool is_cjk(int32_t c)
{
    return (c >= 0x2E80 && c <= 0x2FDF) ||   /* radicals */
           (c >= 0x3000 && c <= 0x312F) ||   /* CJK punctuation, kana, bopomofo */
           (c >= 0x3400 && c <= 0x4DBF) ||   /* extension A */
           (c >= 0x4E00 && c <= 0x9FFF) ||   /* unified ideographs */
           (c >= 0xF900 && c <= 0xFAFF) ||   /* compatibility ideographs */
           (c >= 0xFE30 && c <= 0xFE4F) ||   /* compatibility forms */
           (c >= 0xFF00 && c <= 0xFFEF) ||   /* full-width forms */
           (c >= 0x20000 && c <= 0x3FFFF);   /* extensions B.. */
}

static int32_t first_cp(const char *s)
{
    int32_t cp = 0;
    return utf8_next(s, &cp) > 0 ? cp : 0;
}

static int32_t last_cp(const char *s, size_t len)
{
    if (len == 0) return 0;
    size_t i = len - 1;   /* back over at most 3 continuation bytes */
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80 && len - i < 4) i--;
    return first_cp(s + i);
}

static int para_add(Parser *p, const char *s, size_t n)
{
    size_t need = p->para_len + n + 2;
    if (need > p->para_cap) {
        size_t nc = p->para_cap ? p->para_cap : 256;
        while (nc < need) nc *= 2;
        char *r = realloc(p->para, nc);
        if (!r) return fail(p, p->line, "out of memory");
        p->para = r;
        p->para_cap = nc;
    }
    if (p->para_len == 0) {
        p->para_line = p->line;
    } else if (!is_cjk(last_cp(p->para, p->para_len)) && !is_cjk(first_cp(s))) {
        p->para[p->para_len++] = ' ';
    }
    memcpy(p->para + p->para_len, s, n);
    p->para_len += n;
    p->para[p->para_len] = '\0';
    return 0;
}

static int para_end(Parser *p)
{
    if (p->para_len == 0 || !p->cur) return 0;
    Slide *s = p->cur;
    char **np = realloc(s->paragraphs, sizeof(char *) * (size_t)(s->n_paragraphs + 1));
    if (np) s->paragraphs = np;
    int *nl = realloc(s->paragraph_lines, sizeof(int) * (size_t)(s->n_paragraphs + 1));
    if (nl) s->paragraph_lines = nl;
    char *text = dup_n(p->para, p->para_len);
    if (!np || !nl || !text) {
        free(text);
        return fail(p, p->line, "out of memory");
    }
    s->paragraphs[s->n_paragraphs] = text;
    s->paragraph_lines[s->n_paragraphs] = p->para_line;
    s->n_paragraphs++;
    p->para_len = 0;
    return 0;
}

/* ---- lines --------------------------------------------------------------- */

/* "key:" followed by a blank or the end: returns the key length, else 0. */
static size_t key_len(const char *s)
{
    size_t i = 0;
    if (!(s[0] >= 'a' && s[0] <= 'z')) return 0;
    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
           s[i] == '-')
        i++;
    if (s[i] != ':' || !(s[i + 1] == '\0' || s[i + 1] == ' ' || s[i + 1] == '\t')) return 0;
    return i;
}

static char *skip_blanks(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

static int finish_slide(Parser *p)
{
    if (para_end(p)) return -1;
    if (!p->cur || !p->cur->has_question) return 0;
    char msg[512];
    int line = 0;
    if (question_finish(&p->cur->question, &line, msg, sizeof msg)) return fail(p, line, "%s", msg);
    return 0;
}

static int check_header(Parser *p, int line)
{
    for (int k = 0; k < HK_COUNT; k++)
        if (!p->header_line[k])
            return fail(p, line, "missing header key '%s:'; the header needs lesson:, id:, lang: "
                        "and title: before the first '--- slide:'", header_keys[k]);
    return 0;
}

static int slide_start(Parser *p, char *s)
{
    char *t = skip_blanks(s + 3);
    if (strncmp(t, "slide:", 6) != 0 || (t == s + 3 && *t))
        return fail(p, p->line, "expected '--- slide: TITLE'");
    t = skip_blanks(t + 6);
    if (*t == '\0') return fail(p, p->line, "slide without a title; write '--- slide: TITLE'");
    if (p->where == IN_HEADER && check_header(p, p->line)) return -1;
    if (finish_slide(p)) return -1;
    Lesson *l = p->out;
    if (l->n_slides >= LESSON_MAX_SLIDES)
        return fail(p, p->line, "more than %d slides; split the lesson", LESSON_MAX_SLIDES);
    Slide *ns = realloc(l->slides, sizeof(Slide) * (size_t)(l->n_slides + 1));
    if (!ns) return fail(p, p->line, "out of memory");
    l->slides = ns;
    Slide *sl = &l->slides[l->n_slides++];
    memset(sl, 0, sizeof *sl);
    sl->setup = lesson_default_setup();
    sl->line = p->line;
    sl->title = dup_n(t, strlen(t));
    if (!sl->title) return fail(p, p->line, "out of memory");
    p->cur = sl;
    p->where = IN_SLIDE;
    memset(p->dir_line, 0, sizeof p->dir_line);
    return 0;
}

static int header_line(Parser *p, char *s)
{
    size_t kl = key_len(s);
    if (!kl)
        return fail(p, p->line, "unexpected text before the first slide; the header holds "
                    "'key: value' lines (lesson, id, lang, title), then '--- slide: TITLE'");
    s[kl] = '\0';
    char *v = skip_blanks(s + kl + 1);
    int k;
    for (k = 0; k < HK_COUNT && strcmp(s, header_keys[k]); k++) {}
    if (k == HK_COUNT)
        return fail(p, p->line, "unknown header key '%s'; expected lesson, id, lang or title%s", s,
                    directive_find(s) >= 0 ? " (slide directives go after '--- slide:')" : "");
    if (p->header_line[k])
        return fail(p, p->line, "duplicate header key '%s:' (first on line %d)", s,
                    p->header_line[k]);
    if (*v == '\0') return fail(p, p->line, "header key '%s:' needs a value", s);
    Lesson *l = p->out;
    char msg[256];
    long long n = 0;
    switch (k) {
    case HK_LESSON:
        if (parse_int_in("lesson", v, 1, 99, &n, msg, sizeof msg))
            return fail(p, p->line, "%s", msg);
        l->number = (int)n;
        break;
    case HK_ID: {
        size_t i = 0;
        for (; v[i]; i++)
            if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
                  (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '_'))
                break;
        if (v[i] || i > LESSON_MAX_ID)
            return fail(p, p->line, "id '%s': expected at most %d letters, digits, '-' or '_' "
                        "(no spaces), e.g. causal-mask", v, LESSON_MAX_ID);
        memcpy(l->id, v, i + 1);
        break;
    }
    case HK_LANG:
        if (strcmp(v, "en") && strcmp(v, "zh"))
            return fail(p, p->line, "lang '%s': expected en or zh", v);
        memcpy(l->lang, v, 3);
        break;
    default:
        l->title = dup_n(v, strlen(v));
        if (!l->title) return fail(p, p->line, "out of memory");
        break;
    }
    p->header_line[k] = p->line;
    return 0;
}

/* A line after '?': hint:, explain:, tolerance:, choice:, choices:, wrong:,
 * reveal-ok: (question.c). */
static int question_line(Parser *p, const char *k, char *v)
{
    if (p->where != IN_QUESTION)
        return fail(p, p->line, "'%s:' before the question; write '? QUESTION' first", k);
    char msg[512];
    if (question_key(&p->cur->question, k, v, p->line, !strcmp(p->out->lang, "zh"), msg,
                     sizeof msg))
        return fail(p, p->line, "%s", msg);
    return 0;
}

static int directive_line(Parser *p, char *s, size_t kl)
{
    s[kl] = '\0';
    char *v = skip_blanks(s + kl + 1);
    if (question_is_key(s)) return question_line(p, s, v);
    int d = directive_find(s);
    if (d < 0)
        return fail(p, p->line, "unknown directive '%s'; expected prompt, gen, model, mode, goto, "
                    "select or point%s", s,
                    (!strcmp(s, "lesson") || !strcmp(s, "id") || !strcmp(s, "lang") ||
                     !strcmp(s, "title"))
                        ? " (header keys go before the first slide)"
                        : "");
    if (p->where == IN_QUESTION)
        return fail(p, p->line, "directive '%s:' after the question; put directives before '?'",
                    s);
    /* a further prompt: line is the next sequence of a batch, as --prompt is */
    const bool more_prompt = d == DIR_PROMPT && p->dir_line[d];
    if (p->dir_line[d] && !more_prompt)
        return fail(p, p->line, "duplicate '%s:' in this slide (first on line %d)", s,
                    p->dir_line[d]);
    if (more_prompt && p->cur->setup.n_batch >= LESSON_MAX_PROMPTS - 1)
        return fail(p, p->line, "more than %d prompt: lines in this slide (first on line %d); a "
                    "batch has at most %d sequences", LESSON_MAX_PROMPTS, p->dir_line[d],
                    LESSON_MAX_PROMPTS);
    if (*v == '\0') return fail(p, p->line, "'%s:' needs a value", s);
    char msg[512];
    if (d == DIR_PROMPT) {
        /* "quoted" keeps leading and trailing spaces */
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
            v[n - 1] = '\0';
            v++;
        }
        char *copy = dup_n(v, strlen(v));
        if (!copy) return fail(p, p->line, "out of memory");
        if (more_prompt) {
            Slide *sl = p->cur;
            sl->batch_text[sl->setup.n_batch] = copy;
            sl->setup.batch[sl->setup.n_batch++] = copy;
            return 0;   /* parsed, and SET_PROMPT is marked, by the first prompt: */
        }
        free(p->cur->prompt_text);
        p->cur->prompt_text = copy;
        p->cur->setup.prompt = copy;
    }
    if (directive_parse((Directive)d, v, p->line, &p->cur->setup, msg, sizeof msg))
        return fail(p, p->line, "%s", msg);
    p->dir_line[d] = p->line;
    return 0;
}

static int slide_line(Parser *p, char *s)
{
    Slide *sl = p->cur;
    Question *q = &sl->question;
    if (s[0] == '?') {
        if (p->where == IN_QUESTION || sl->has_question)
            return fail(p, p->line, "a slide has at most one question (first on line %d)",
                        q->line);
        char *t = skip_blanks(s + 1);
        if (*t == '\0') return fail(p, p->line, "'?' needs the question text");
        q->text = dup_n(t, strlen(t));
        if (!q->text) return fail(p, p->line, "out of memory");
        q->line = p->line;
        sl->has_question = true;
        p->where = IN_QUESTION;
        return 0;
    }
    if (s[0] == '=') {
        if (p->where != IN_QUESTION)
            return fail(p, p->line, "'=' without a question; write '? QUESTION' before it");
        if (q->expr)
            return fail(p, p->line, "duplicate '=' (first on line %d); a question has one answer",
                        q->expr_line);
        char *t = skip_blanks(s + 1);
        if (*t == '\0') return fail(p, p->line, "'=' needs an expression, e.g. = visible(0)");
        q->expr = dup_n(t, strlen(t));
        if (!q->expr) return fail(p, p->line, "out of memory");
        q->expr_line = p->line;
        return 0;
    }
    size_t kl = key_len(s);
    if (kl) return directive_line(p, s, kl);
    if (p->where == IN_QUESTION)
        return fail(p, p->line, "text after the question; a question ends its slide (put "
                    "narration before '?')");
    return para_add(p, s, strlen(s));
}

static int one_line(Parser *p, const char *raw, size_t n)
{
    char buf[LESSON_MAX_LINE + 1];
    memcpy(buf, raw, n);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) buf[--n] = '\0';
    char *s = skip_blanks(buf);
    if (*s == '\0') return para_end(p);
    if (*s == '#') return 0;
    p->any_content = true;
    if (!strncmp(s, "---", 3)) return slide_start(p, s);
    if (p->where == IN_HEADER) return header_line(p, s);
    if (s[0] == '?' || s[0] == '=' || key_len(s)) {
        if (para_end(p)) return -1;
    }
    return slide_line(p, s);
}

int lesson_parse(const char *text, size_t len, const char *path, Lesson *out, char *err,
                 size_t errlen)
{
    Parser p;
    memset(&p, 0, sizeof p);
    memset(out, 0, sizeof *out);
    p.path = path ? path : "(lesson)";
    p.err = err;
    p.errlen = errlen;
    p.out = out;
    if (err && errlen) err[0] = '\0';
    if (!text) len = 0;
    if (len > LESSON_MAX_BYTES)
        return fail(&p, 1, "file is %zu bytes; at most %d allowed", len, LESSON_MAX_BYTES);
    size_t start = (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) ? 3 : 0; /* BOM */
    if (len == start) return fail(&p, 1, "empty file; a lesson starts with its header "
                                  "(lesson:, id:, lang:, title:)");
    if (scan_bytes(&p, text, len, start)) return -1;
    out->path = dup_n(p.path, strlen(p.path));
    if (!out->path) return fail(&p, 1, "out of memory");

    int rc = 0;
    size_t i = start;
    while (i < len && rc == 0) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - i;
        if (n > 0 && text[end - 1] == '\r') n--;
        p.line++;
        rc = one_line(&p, text + i, n);
        i = end + 1;
    }
    if (rc == 0) {
        int last = p.line > 0 ? p.line : 1;
        if (!p.any_content)
            rc = fail(&p, last, "empty lesson: only blank lines and comments");
        else if (p.where == IN_HEADER)
            rc = check_header(&p, last);
        if (rc == 0) rc = finish_slide(&p);
        if (rc == 0 && out->n_slides == 0)
            rc = fail(&p, last, "no slides; a lesson needs at least one '--- slide: TITLE'");
    }
    free(p.para);
    if (rc) lesson_free(out);
    return rc;
}

int lesson_load(const char *path, Lesson *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then
     * refuses anything that is not a regular file before a read blocks */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        const char *what = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                           : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                         : "a special file";
        snprintf(err, errlen, "%s: is %s, not a regular file; a lesson is a UTF-8 text file", path, what);
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    /* say the real size of a file over the limit, not "read error" */
    if (st.st_size > LESSON_MAX_BYTES) {
        fclose(f);
        snprintf(err, errlen, "%s: %lld bytes, larger than the %d-byte (1 MiB) limit of a lesson file",
                 path, (long long)st.st_size, LESSON_MAX_BYTES);
        return -1;
    }
    /* read at most one byte more than allowed, so "too large" is reported */
    char *buf = malloc((size_t)LESSON_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t n = fread(buf, 1, (size_t)LESSON_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    int rc = lesson_parse(buf, n, path, out, err, errlen);
    free(buf);
    return rc;
}

void lesson_free(Lesson *l)
{
    if (!l) return;
    for (int i = 0; i < l->n_slides; i++) {
        Slide *s = &l->slides[i];
        free(s->title);
        for (int j = 0; j < s->n_paragraphs; j++) free(s->paragraphs[j]);
        free(s->paragraphs);
        free(s->paragraph_lines);
        free(s->prompt_text);
        for (int j = 0; j < LESSON_MAX_PROMPTS - 1; j++) free(s->batch_text[j]);
        question_free(&s->question);
    }
    free(l->slides);
    free(l->title);
    free(l->path);
    memset(l, 0, sizeof *l);
}
