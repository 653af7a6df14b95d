/* counts: category names. See counts.h. */
#include "sim/counts.h"

#include <stdio.h>

const char *counts_name(Category c)
{
    static const char *const names[CAT_COUNT] = {
        "qkv", "scores", "values", "out_proj", "ffn", "lm_head",
    };
    return (c >= 0 && c < CAT_COUNT) ? names[c] : "?";
}

const char *counts_group(uint64_t v, char buf[32])
{
    char raw[24];
    int n = snprintf(raw, sizeof raw, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}
