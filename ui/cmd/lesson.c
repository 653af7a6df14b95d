/* lesson_cmd: see lesson_cmd.h. */
#include "ui/cmd/lesson.h"

#include "lessons/catalog.h"
#include "lessons/measure.h"
#include "lessons/progress.h"
#include "ui/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *lang_of(const CliOptions *o)
{
    return o->lang_zh ? "zh" : "en";
}

/* lesson_load, its messages quoting at most 48 bytes of the path */
static int load_quoted(const char *path, Lesson *out, char *err, size_t errlen)
{
    char msg[4608];   /* room for a path of PATH_MAX and the message */
    if (!lesson_load(path, out, msg, sizeof msg)) return 0;
    const size_t n = strlen(path);
    if (n > 48 && !strncmp(msg, path, n))   /* messages start with the path */
        snprintf(err, errlen, "%s%s", cli_clip(path), msg + n);
    else if (errlen > 0) {   /* (not snprintf: a message cut short here is expected) */
        const size_t m = strlen(msg) < errlen ? strlen(msg) : errlen - 1;
        memcpy(err, msg, m);
        err[m] = '\0';
    }
    return -1;
}

/* The lesson numbers of the catalogue as ranges, "1-12, 14-19" (what
 * `kvsim lesson` lists). Returns 0, or -1 with the catalogue's message. */
static int lesson_numbers(const CliOptions *o, char *out, size_t outlen, char *err, size_t errlen)
{
    CatalogEntry *all = malloc(sizeof(CatalogEntry) * CATALOG_MAX);
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const int n = catalog_list(lang_of(o), all, CATALOG_MAX, err, errlen);
    if (n < 0) {
        free(all);
        return -1;
    }
    size_t j = 0;
    out[0] = '\0';
    for (int i = 0; i < n && j < outlen; i++) {
        int k = i;
        while (k + 1 < n && all[k + 1].number <= all[k].number + 1) k++;   /* a run of numbers */
        if (k > i)
            j += (size_t)snprintf(out + j, outlen - j, "%s%d-%d", i ? ", " : "", all[i].number, all[k].number);
        else
            j += (size_t)snprintf(out + j, outlen - j, "%s%d", i ? ", " : "", all[i].number);
        i = k;
    }
    if (n == 0) snprintf(out, outlen, "none installed");
    free(all);
    return 0;
}

/* The rule for `which`: a word of one or two digits (no sign, no space) is
 * a lesson number of the catalogue; anything else is a file path, so
 * `kvsim lesson 100` opens a file named 100 and ./5 a file named 5. A
 * number that names no lesson is refused with the numbers that do. */
int lesson_cmd_load(const CliOptions *o, const char *which, Lesson *out, char *err, size_t errlen)
{
    char path[1400];
    const size_t nd = strspn(which, "0123456789");
    const bool number = nd >= 1 && nd <= 2 && which[nd] == '\0';
    if (number || (nd > 0 && which[nd] == '\0' && access(which, F_OK) != 0)) {
        char nums[320];
        if (number && catalog_find(lang_of(o), atoi(which), path, sizeof path, err, errlen) == 0) {
            which = path;
        } else if (lesson_numbers(o, nums, sizeof nums, err, errlen) == 0) {
            snprintf(err, errlen, "lesson %s: %s; the lessons are %s ('kvsim lesson' lists them), or give a "
                     "lesson file", cli_clip(which), number ? "no such lesson" : "no such file, and not a lesson number",
                     nums);
            return -1;
        } else {
            return -1;
        }
    }
    if (load_quoted(which, out, err, errlen)) return -1;
    if (measure_budget_check(out, err, errlen)) {
        lesson_free(out);
        return -1;
    }
    return 0;
}

/* The last line of the list: where progress is kept, or why it cannot be. */
static void progress_footer(const CliOptions *o)
{
    char path[PROGRESS_PATH_MAX], err[PROGRESS_PATH_MAX + 200];
    if (progress_path(path, err, sizeof err) || progress_check_writable(err, sizeof err)) {
        fprintf(stderr, "kvsim: %s\n", err);
        printf(o->lang_zh ? "\n进度无法保存：%s\n" : "\nProgress cannot be saved: %s\n", err);
    } else {
        printf(o->lang_zh ? "\n进度保存在 %s\n" : "\nProgress is kept in %s\n", path);
    }
}

static int list(const CliOptions *o)
{
    char err[PROGRESS_PATH_MAX + 200];
    CatalogEntry *all = malloc(sizeof(CatalogEntry) * CATALOG_MAX);
    if (!all) return 1;
    int n = catalog_list(lang_of(o), all, CATALOG_MAX, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "kvsim: %s\n", err);
        free(all);
        return 1;
    }
    /* the progress file is read once for the whole list */
    ProgressTable pt;
    if (progress_load(&pt, err, sizeof err)) {
        fprintf(stderr, "kvsim: %s\n", err);
    } else if (pt.invalid) {
        char path[PROGRESS_PATH_MAX];
        progress_path(path, err, sizeof err);
        fprintf(stderr, "kvsim: %s: ignored %d invalid line%s (the first is line %d); "
                "the next save drops them\n", path, pt.invalid, pt.invalid == 1 ? "" : "s", pt.first_invalid);
    }
    printf(o->lang_zh ? "kvsim 课程（kvsim lesson N 开始学习）：\n\n" : "kvsim lessons (start one with: kvsim lesson N):\n\n");
    for (int i = 0; i < n; i++) {
        Progress p = progress_find(&pt, all[i].id, lang_of(o));
        char prog[96] = "";
        if (p.seen > 0)
            snprintf(prog, sizeof prog, o->lang_zh ? "  [第 %d/%d 页，答对 %d/%d 题]" : "  [slide %d/%d, %d/%d answered]",
                     p.seen, p.slides, p.solved, p.questions);
        printf("%3d  %s%s\n", all[i].number, all[i].title, prog);
    }
    if (n == 0) printf(o->lang_zh ? "（没有课程）\n" : "(no lessons found)\n");
    progress_footer(o);
    progress_table_free(&pt);
    free(all);
    return 0;
}

static int check(const CliOptions *o)
{
    if (o->nargs < 2) {
        return cli_bad_input(CMD_LESSON, "lesson check: give one or more lesson files");
    }
    int bad = 0;
    for (int i = 1; i < o->nargs; i++) {
        Lesson l;
        char err[1024];
        if (load_quoted(o->args[i], &l, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            bad++;
            continue;
        }
        int problems = lesson_check(&l, stderr, err, sizeof err);
        if (problems) bad++;
        else {
            int q = 0;
            for (int s = 0; s < l.n_slides; s++) q += l.slides[s].has_question;
            printf("%s: ok (lesson %d, %d slides, %d questions)\n", o->args[i], l.number, l.n_slides, q);
        }
        lesson_free(&l);
    }
    return bad ? 2 : 0;
}

int lesson_cmd_run(const CliOptions *o, const int *ids, int L)
{
    char err[PROGRESS_PATH_MAX + 200];
    if (o->reset_progress) {
        char path[PROGRESS_PATH_MAX];
        if (progress_path(path, err, sizeof err) || progress_reset(err, sizeof err)) {
            fprintf(stderr, "kvsim: %s\n", err);
            return 1;
        }
        printf("kvsim: progress forgotten (%s)\n", path);
        if (o->nargs == 0) return 0;
    }
    if (o->nargs == 0 && o->print) {
        return cli_bad_input(CMD_LESSON, "lesson --print: give a lesson number or file (kvsim lesson N --print)");
    }
    if (o->nargs == 0) return list(o);
    if (!strcmp(o->args[0], "check")) return check(o);
    if (o->nargs > 1) {
        char msg[128];
        snprintf(msg, sizeof msg, "lesson: '%s': unexpected argument", cli_clip(o->args[1]));
        return cli_bad_input(CMD_LESSON, msg);
    }
    Lesson *l = calloc(1, sizeof *l);
    if (!l) return 1;
    if (lesson_cmd_load(o, o->args[0], l, err, sizeof err)) {
        cli_put_error(err);
        free(l);
        return 2;
    }
    if (o->print) {
        /* print into memory first: a lesson that fails halfway prints
         * nothing on stdout, only its 'path:line: message' */
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        int rc = mem ? lesson_print(l, mem, err, sizeof err) : -1;
        if (!mem) snprintf(err, sizeof err, "kvsim: out of memory");
        if (mem && fclose(mem)) rc = -1;
        if (rc) fprintf(stderr, "%s\n", err);
        else fwrite(text, 1, len, stdout);
        free(text);
        lesson_free(l);
        free(l);
        return rc ? 2 : 0;
    }
    return live_run_lesson(o, ids, L, l);
}
