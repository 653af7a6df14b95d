/* ops: the one table of the forward pass's operations.
 *
 * Every operation kind the engine runs, in forward order, with what the
 * rest of the program says about it: the word a lesson file uses
 * (`goto: step 2 op qkv`), the names the header and the pipeline show in
 * English and Chinese, whether it runs once per layer, which modes run it,
 * and the panel that draws its result (a lesson `point:` name). The
 * engine builds a step from it (embed, then the per-layer operations for
 * every layer, then the head), ui/screen.c and the pipeline panel name
 * operations from it, lessons/setup.c parses operation words with it.
 * Adding an operation is a row here, an OpKind, and its function in
 * engine.c's forward pass.
 */
#ifndef KVSIM_OPS_H
#define KVSIM_OPS_H

#include "sim/config.h"

#include <stdbool.h>

typedef enum {
    OP_EMBED,
    OP_LN1,
    OP_QKV,
    OP_SCORES,    /* Q·Kᵀ / sqrt(d_head) over the dense n×t block */
    OP_MASK,      /* causal mask: future cells → −inf */
    OP_SOFTMAX,
    OP_VALUES,    /* A·V */
    OP_OUT_PROJ,  /* concat(heads)·Wo + residual */
    OP_LN2,
    OP_FFN,       /* GELU(b·W1)·W2 + residual */
    OP_LN_FINAL,
    OP_LOGITS,
    OP_PICK,      /* greedy next token */
    OP_APPEND,    /* commit this step's K/V rows to the cache (cache mode) */
    OP_LOSS,      /* mean cross-entropy over the prompt (train mode) */
    OP_KIND_COUNT
} OpKind;

typedef struct {
    OpKind kind;
    const char *key;          /* the lesson word: "ln1", "qkv", "out_proj", ... */
    const char *name_en;      /* header and engine name: "LN1", "Q/K/V", "QKᵀ", ... */
    const char *name_zh;
    const char *chain_en[3];  /* the pipeline's chain, long to shortest (NULL: as [1]) */
    const char *chain_zh[3];
    bool per_layer;           /* runs once in every layer (LN1 .. FFN) */
    unsigned modes;           /* bit (1 << RunMode) of each mode that runs it */
    const char *panel;        /* the panel that draws its result (lesson point name) */
} OpInfo;

/* Row of kind k (k in 0 .. OP_KIND_COUNT-1), or NULL. */
const OpInfo *op_info(OpKind k);
/* The kind whose lesson word is key, or -1. */
int op_find(const char *key);
/* Whether mode m runs operation k. */
bool op_in_mode(OpKind k, RunMode m);
/* Operations in a step of mode m with Lyr layers. */
int op_count(RunMode m, int n_layers);

#endif
