/* model: the weights of the tiny decoder-only transformer (spec §1).
 *
 * Pre-LayerNorm GPT-2 layout, no biases in the projections, learned
 * positions. Every matrix is row-major and multiplies from the right
 * (y = x · W), so W has shape (in, out). The forward pass itself is in
 * engine.c, one operation at a time.
 *
 * Ownership: model_init() allocates every array, model_free() releases
 * them, both from one table in model.c that also reports the bytes; the
 * model is read-only while engines use it.
 */
#ifndef KVSIM_MODEL_H
#define KVSIM_MODEL_H

#include "sim/config.h"

#include <stddef.h>
#include <stdint.h>

typedef struct Model {
    KvConfig cfg;
    float *tok_emb;   /* (V, d)          E: token embeddings */
    float *pos_emb;   /* (N, d)          P: learned position embeddings; NULL with RoPE (§6.10) */
    float *ln1_g;     /* (Lyr, d)        LayerNorm1 gain (1) */
    float *ln1_b;     /* (Lyr, d)        LayerNorm1 bias (0) */
    float *wq;        /* (Lyr, d, d) */
    float *wk;        /* (Lyr, d, kv_dim)  kv_dim = Hkv · d_head */
    float *wv;        /* (Lyr, d, kv_dim) */
    float *wo;        /* (Lyr, d, d) */
    float *ln2_g;     /* (Lyr, d) */
    float *ln2_b;     /* (Lyr, d) */
    float *w1;        /* (Lyr, d, F) */
    float *w2;        /* (Lyr, F, d) */
    float *lnf_g;     /* (d)             final LayerNorm */
    float *lnf_b;     /* (d) */
    float *wout;      /* (d, V)          language-model head */
    /* The same matrices in kernel_pack's layout, which the forward pass
     * multiplies by (kernels.h). One allocation, `packed`, holds them in
     * the order a step reads them: layer 0's Wq Wk Wv Wo W1 W2, layer 1's,
     * ..., then Wout, so a decode step streams one contiguous block.
     * Layer l's matrix X starts at pX + l · p_layer. */
    float *packed;
    float *pq, *pk, *pv, *po, *p1, *p2, *pout;
    size_t p_layer;   /* floats of one layer's packed matrices */
} Model;

/* Build the weights of cfg from cfg->seed, or copy them from
 * cfg->weights (a loaded model file, §7) when that is set. cfg must be
 * valid (config_validate). Returns 0, or -1 when out of memory or when
 * cfg's shape does not match cfg->weights. */
int model_init(Model *m, const KvConfig *cfg);
/* Allocate every array of cfg's shape, all zero (gradients, optimiser
 * moments, a file being loaded). Returns 0, or -1 when out of memory. */
int model_alloc(Model *m, const KvConfig *cfg);
/* Every weight array of m with its length in floats, in model_tensors()
 * order; returns how many (at most 15). For code that walks all weights. */
int model_arrays(Model *m, float **ptr, size_t *count, int cap);
/* Number of weights (floats) of cfg's shape. */
size_t model_param_count(const KvConfig *cfg);
/* Refresh the packed copy (`packed`) from the weights after they were
 * changed in place (training, loading). 0, or -1 when out of memory. */
int model_repack(Model *m);
void model_free(Model *m);

/* One named weight matrix, for export and for tests. */
typedef struct {
    const char *name;  /* e.g. "layers.0.wq" is built by the caller from name + layer */
    int per_layer;     /* 1: the array holds n_layers matrices of rows×cols */
    int rows, cols;
    const float *data;
} ModelTensor;

/* The model's tensors in a fixed order; returns how many (<= cap). */
int model_tensors(const Model *m, ModelTensor *out, int cap);

/* Bytes of the weights (from the same table that allocates them), of a
 * built model and of a config's. */
uint64_t model_bytes(const Model *m);
uint64_t model_config_bytes(const KvConfig *c);

#endif
