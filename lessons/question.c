/* question: the lines after '?'. See question.h. */
#include "lessons/question.h"

#include "lessons/errmsg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* errmsg_fail() that also reports the line the problem is on. */
__attribute__((format(printf, 5, 6))) static int fail_at(int *line, int at, char *msg,
                                                         size_t msglen, const char *fmt, ...)
{
    *line = at;
    va_list ap;
    va_start(ap, fmt);
    errmsg_vfail(msg, msglen, fmt, ap);
    va_end(ap);
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

double lesson_choice_value(char key)
{
    return (double)(key >= 'A' && key <= 'Z' ? key - 'A' + 'a' : key);
}

const Choice *lesson_find_choice(const Question *q, char k)
{
    if (k >= 'A' && k <= 'Z') k = (char)(k - 'A' + 'a');
    for (int i = 0; i < q->n_choices; i++)
        if (q->choices[i].key == k) return &q->choices[i];
    return NULL;
}

static int add_hint(Question *q, const char *v, int line, char *msg, size_t msglen)
{
    if (q->n_hints >= LESSON_MAX_HINTS)
        return errmsg_fail(msg, msglen, "more than %d hints; at most %d allowed", LESSON_MAX_HINTS,
                           LESSON_MAX_HINTS);
    char **nh = realloc(q->hints, sizeof(char *) * (size_t)(q->n_hints + 1));
    if (nh) q->hints = nh;
    int *nl = realloc(q->hint_lines, sizeof(int) * (size_t)(q->n_hints + 1));
    if (nl) q->hint_lines = nl;
    char *t = dup_n(v, strlen(v));
    if (!nh || !nl || !t) {
        free(t);
        return errmsg_fail(msg, msglen, "out of memory");
    }
    q->hints[q->n_hints] = t;
    q->hint_lines[q->n_hints++] = line;
    return 0;
}

static int add_choice(Question *q, char key, const char *text, int line, char *msg, size_t msglen)
{
    if (q->n_choices >= LESSON_MAX_CHOICES)
        return errmsg_fail(msg, msglen, "more than %d choices; at most %d allowed",
                           LESSON_MAX_CHOICES, LESSON_MAX_CHOICES);
    const Choice *dup = lesson_find_choice(q, key);
    if (dup)
        return errmsg_fail(msg, msglen, "duplicate choice '%c' (first on line %d)", key, dup->line);
    Choice *nc = realloc(q->choices, sizeof(Choice) * (size_t)(q->n_choices + 1));
    if (!nc) return errmsg_fail(msg, msglen, "out of memory");
    q->choices = nc;
    char *t = dup_n(text, strlen(text));
    if (!t) return errmsg_fail(msg, msglen, "out of memory");
    q->choices[q->n_choices++] = (Choice){key, t, line};
    return 0;
}

/* choice: K TEXT */
static int choice_line(Question *q, const char *v, int line, char *msg, size_t msglen)
{
    if (!(v[0] >= 'a' && v[0] <= 'z') || (v[1] != ' ' && v[1] != '\t'))
        return errmsg_fail(msg, msglen,
                           "choice '%.40s': expected a key letter a-z, a space and the "
                           "text, e.g. 'choice: b It writes the cache'",
                           v);
    const char *t = v + 1;
    while (*t == ' ' || *t == '\t') t++;
    return add_choice(q, v[0], t, line, msg, msglen);
}

/* choices: true-false (the two options of a true/false question) */
static int choices_line(Question *q, const char *v, bool zh, int line, char *msg, size_t msglen)
{
    if (strcmp(v, "true-false"))
        return errmsg_fail(msg, msglen,
                           "choices '%.40s': expected true-false (other options go on "
                           "'choice: K TEXT' lines)",
                           v);
    if (add_choice(q, 't', zh ? "对" : "true", line, msg, msglen)) return -1;
    return add_choice(q, 'f', zh ? "错" : "false", line, msg, msglen);
}

/* wrong: VALUE -> TEXT (or VALUE → TEXT) */
static int wrong_line(Question *q, char *v, int line, char *msg, size_t msglen)
{
    if (q->n_wrong >= LESSON_MAX_HINTS)
        return errmsg_fail(msg, msglen, "more than %d 'wrong:' lines; at most %d allowed",
                           LESSON_MAX_HINTS, LESSON_MAX_HINTS);
    char *arrow = strstr(v, "->");
    size_t alen = 2;
    char *u = strstr(v, "\xE2\x86\x92");   /* → */
    if (u && (!arrow || u < arrow)) {
        arrow = u;
        alen = 3;
    }
    if (!arrow)
        return errmsg_fail(msg, msglen,
                           "wrong '%.40s': expected 'VALUE -> HINT', e.g. 'wrong: 25 -> "
                           "you counted the masked cells too'",
                           v);
    char *val = v, *text = arrow + alen;
    char *e = arrow;
    while (e > val && (e[-1] == ' ' || e[-1] == '\t')) e--;
    *e = '\0';
    while (*text == ' ' || *text == '\t') text++;
    if (!*val) return errmsg_fail(msg, msglen, "'wrong:' needs a value before the arrow");
    if (!*text) return errmsg_fail(msg, msglen, "'wrong:' needs a hint after the arrow");
    WrongHint *nw = realloc(q->wrong, sizeof(WrongHint) * (size_t)(q->n_wrong + 1));
    if (!nw) return errmsg_fail(msg, msglen, "out of memory");
    q->wrong = nw;
    char *a = dup_n(val, strlen(val)), *b = dup_n(text, strlen(text));
    if (!a || !b) {
        free(a);
        free(b);
        return errmsg_fail(msg, msglen, "out of memory");
    }
    q->wrong[q->n_wrong++] = (WrongHint){a, b, line};
    return 0;
}

bool question_is_key(const char *k)
{
    static const char *const keys[] = {"hint", "explain", "tolerance", "choice", "choices",
                                       "wrong", "reveal-ok"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(k, keys[i])) return true;
    return false;
}

/* tolerance:, hint:, explain:, choice:, choices:, wrong:, reveal-ok: (k is
 * the key, v its trimmed value) */
int question_key(Question *q, const char *k, char *v, int line, bool zh, char *msg, size_t msglen)
{
    if (*v == '\0') return errmsg_fail(msg, msglen, "'%s:' needs a value", k);
    if (!strcmp(k, "hint")) return add_hint(q, v, line, msg, msglen);
    if (!strcmp(k, "choice")) return choice_line(q, v, line, msg, msglen);
    if (!strcmp(k, "choices")) return choices_line(q, v, zh, line, msg, msglen);
    if (!strcmp(k, "wrong")) return wrong_line(q, v, line, msg, msglen);
    if (!strcmp(k, "reveal-ok")) {
        if (q->reveal_ok)
            return errmsg_fail(msg, msglen, "duplicate 'reveal-ok:' (first on line %d)",
                               q->reveal_ok_line);
        q->reveal_ok = dup_n(v, strlen(v));
        q->reveal_ok_line = line;
        return q->reveal_ok ? 0 : errmsg_fail(msg, msglen, "out of memory");
    }
    if (!strcmp(k, "explain")) {
        if (q->explain)
            return errmsg_fail(msg, msglen, "duplicate 'explain:' (first on line %d)",
                               q->explain_line);
        q->explain = dup_n(v, strlen(v));
        q->explain_line = line;
        return q->explain ? 0 : errmsg_fail(msg, msglen, "out of memory");
    }
    if (q->tolerance_line)
        return errmsg_fail(msg, msglen, "duplicate 'tolerance:' (first on line %d)",
                           q->tolerance_line);
    char *end = NULL;
    errno = 0;
    double t = strtod(v, &end);
    bool digits = (v[0] >= '0' && v[0] <= '9') || (v[0] == '.' && v[1] >= '0' && v[1] <= '9');
    if (!digits || *end != '\0' || errno == ERANGE || !isfinite(t) || t < 0)
        return errmsg_fail(msg, msglen, "tolerance '%s': expected a number >= 0, e.g. 0.01", v);
    q->tolerance = t;
    q->tolerance_line = line;
    return 0;
}


/* A choice question: '=' names one of its keys; every `wrong:` names
 * another. */
static int finish_choices(Question *q, int *line, char *msg, size_t msglen)
{
    if (q->n_choices == 1)
        return fail_at(line, q->choices[0].line, msg, msglen,
                       "a choice question needs at least 2 'choice:' lines");
    const char *e = q->expr;
    if (!e[0] || e[1] || !lesson_find_choice(q, e[0])) {
        char keys[LESSON_MAX_CHOICES * 3 + 1] = "";
        for (int i = 0; i < q->n_choices; i++)
            snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%c",
                     i ? (i + 1 == q->n_choices ? " or " : ", ") : "", q->choices[i].key);
        return fail_at(line, q->expr_line, msg, msglen,
                       "'= %s': a choice question's answer is one of its keys (%s)", e, keys);
    }
    q->correct = lesson_find_choice(q, e[0])->key;
    for (int i = 0; i < q->n_wrong; i++) {
        const char *v = q->wrong[i].value;
        if (!v[0] || v[1] || !lesson_find_choice(q, v[0]))
            return fail_at(line, q->wrong[i].line, msg, msglen,
                           "'wrong: %s': in a choice question the value is one of the keys", v);
        if (v[0] == q->correct)
            return fail_at(line, q->wrong[i].line, msg, msglen, "'wrong: %s' names the right answer",
                           v);
        for (int j = 0; j < i; j++)
            if (q->wrong[j].value[0] == v[0])
                return fail_at(line, q->wrong[i].line, msg, msglen,
                               "'wrong: %s', like the 'wrong:' on line %d; only the first "
                               "hint for a key is ever shown",
                               v, q->wrong[j].line);
    }
    return 0;
}


void question_free(Question *q)
{
    free(q->text);
    free(q->expr);
    for (int i = 0; i < q->n_hints; i++) free(q->hints[i]);
    free(q->hints);
    free(q->hint_lines);
    free(q->explain);
    for (int i = 0; i < q->n_choices; i++) free(q->choices[i].text);
    free(q->choices);
    for (int i = 0; i < q->n_wrong; i++) {
        free(q->wrong[i].value);
        free(q->wrong[i].text);
    }
    free(q->wrong);
    free(q->reveal_ok);
}

int question_finish(Question *q, int *line, char *msg, size_t msglen)
{
    if (!q->expr)
        return fail_at(line, q->line, msg, msglen, "question without an answer; add a line "
                       "'= EXPRESSION' (or, after 'choice:' lines, '= KEY') after it");
    if (!q->n_choices) return 0;
    if (q->tolerance_line)
        return fail_at(line, q->tolerance_line, msg, msglen,
                       "'tolerance:' in a choice question; its answer is a key");
    return finish_choices(q, line, msg, msglen);
}
