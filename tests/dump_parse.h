/* dump_parse: reading a panel's picture back, for the panel tests that
 * compare what is drawn with the engines' counters (test_panel_ops.c,
 * test_panel_ops_pair.c, test_panel_chart.c). Header only: each test is
 * one translation unit. */
#ifndef KVSIM_DUMP_PARSE_H
#define KVSIM_DUMP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/canvas.h"

/* Cells of the canvas that show code point cp. */
static inline int dump_count_cp(const Canvas *c, int32_t cp)
{
    int n = 0;
    for (int i = 0; i < c->w * c->h; i++) n += c->cells[i].cp == cp;
    return n;
}

/* The dump's line whose text after the left border "│" starts with label,
 * or NULL. */
static inline const char *dump_find_row(const char *dump, const char *label)
{
    for (const char *p = dump; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, "\u2502", 3) == 0 && strncmp(p + 3, label, strlen(label)) == 0) return p;
    return NULL;
}

/* The exact numbers of a dump line from byte `from` on, in order: "1,234",
 * and with `dash` a bare "–" (a cell with no number) as UINT64_MAX;
 * ratios ("3.25×") go to ratios[] apart. Other words are skipped. Returns
 * how many numbers it stored (at most max). */
static inline int dump_row_numbers(const char *line, size_t from, bool dash, uint64_t *nums, int max,
                                   double *ratios, int *nr)
{
    int n = 0;
    *nr = 0;
    const char *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    for (const char *p = line + from; p < end;) {
        while (p < end && *p == ' ') p++;
        const char *q = p;
        while (q < end && *q != ' ') q++;
        char tok[64] = "";
        if (q - p < 63) memcpy(tok, p, (size_t)(q - p));
        const size_t tl = strlen(tok);
        if (tl > 2 && strcmp(tok + tl - 2, "\u00d7") == 0) {
            ratios[(*nr)++] = atof(tok);
        } else if (dash && strcmp(tok, "\u2013") == 0) {
            if (n < max) nums[n++] = UINT64_MAX;
        } else if (tl > 0 && strspn(tok, "0123456789,") == tl && tok[0] != ',') {
            uint64_t v = 0;
            for (size_t i = 0; i < tl; i++)
                if (tok[i] != ',') v = v * 10 + (uint64_t)(tok[i] - '0');
            if (n < max) nums[n++] = v;
        }
        p = q;
    }
    return n;
}

#endif
