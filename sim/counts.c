/* counts: category names. See counts.h. */
#include "sim/counts.h"

const char *counts_name(Category c)
{
    static const char *const names[CAT_COUNT] = {
        "qkv", "scores", "values", "out_proj", "ffn", "lm_head",
    };
    return (c >= 0 && c < CAT_COUNT) ? names[c] : "?";
}
