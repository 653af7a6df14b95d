/* train: forward with saved activations, backward, and AdamW for the
 * model of spec §1 (kvsim train, §7).
 *
 * One batch is B sequences of T positions (T <= max_seq). inp[b·T + i] is
 * the token at position i of sequence b, tgt[b·T + i] the token it must
 * predict, or -1 when that position has no target. The loss is the mean
 * cross-entropy over the positions with a target.
 *
 * The forward pass computes the same function as the engine (pre-LN, the
 * same LayerNorm epsilon, tanh GELU, 1/sqrt(d_h) scale, GQA head groups,
 * the §6.3 window, and with cfg.rope the §6.10 turn of q and k in place
 * of the position table), for every position of every sequence at once, and
 * keeps every activation the backward pass needs. Everything runs on one
 * thread in a fixed order, so the same inputs give the same bits.
 *
 * MACs are counted as the loops run (forward and backward separately),
 * with the same kernels as the engine where the product is the same.
 *
 * Ownership: trainer_init() allocates the activations and the gradient
 * (a Model of zeros); trainer_free() releases them. The Model being
 * trained is the caller's.
 */
#ifndef KVSIM_TRAIN_H
#define KVSIM_TRAIN_H

#include "sim/config.h"
#include "sim/model.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    KvConfig cfg;
    int B, T;
    Model grad;        /* same shapes as the model: dLoss/dWeight after trainer_backward */
    /* saved activations; BT = B·T rows */
    float *resid;      /* (Lyr + 1, BT, d) residual stream entering layer l; [Lyr] enters the final LN */
    float *resid_mid;  /* (Lyr, BT, d) after the attention residual add */
    float *ln1;        /* (Lyr, BT, d) LayerNorm1 output */
    float *ln1_stat;   /* (Lyr, BT, 2) mean, 1/std */
    float *q;          /* (Lyr, BT, d) (RoPE: after the turn) */
    float *k;          /* (Lyr, BT, kv) (RoPE: after the turn) */
    float *v;          /* (Lyr, BT, kv) */
    float *att;        /* (Lyr, B, H, T, T) softmax weights, 0 where masked */
    float *atty;       /* (Lyr, BT, d) concat of head outputs */
    float *ln2;        /* (Lyr, BT, d) */
    float *ln2_stat;   /* (Lyr, BT, 2) */
    float *fc;         /* (Lyr, BT, F) b·W1 before GELU */
    float *fcg;        /* (Lyr, BT, F) after GELU */
    float *lnf;        /* (BT, d) final LayerNorm output */
    float *lnf_stat;   /* (BT, 2) */
    float *probs;      /* (BT, V) softmax of the logits */
    /* backward scratch */
    float *dres;       /* (BT, d) dLoss/d residual stream */
    float *dtmp;       /* (BT, d) */
    float *dq;         /* (BT, d) */
    float *dk;         /* (BT, kv) */
    float *dv;         /* (BT, kv) */
    float *dfc;        /* (BT, F) */
    float *dlogits;    /* (BT, V) */
    float *drow;       /* (T) one attention row's dA */
    int n_targets;     /* positions with a target in the last forward */
    uint64_t macs_fwd; /* counted MACs, summed over calls */
    uint64_t macs_bwd;
} Trainer;

int trainer_init(Trainer *t, const KvConfig *cfg, int B, int T);
void trainer_free(Trainer *t);

/* Forward over one batch; returns the mean cross-entropy (0 when no
 * position has a target). inp, tgt: (B, T). */
float trainer_forward(Trainer *t, const Model *m, const int *inp, const int *tgt);

/* Gradients of the last forward's loss into t->grad (overwritten). Call
 * right after trainer_forward with the same m, inp and tgt. */
void trainer_backward(Trainer *t, const Model *m, const int *inp, const int *tgt);

/* Initial weights for training: N(0, 0.02) for every matrix and
 * embedding, the residual projections (wo, w2) scaled by 1/sqrt(2·Lyr),
 * LayerNorm gains 1 and biases 0. Deterministic for seed. m must be
 * allocated (model_alloc). */
void train_init_weights(Model *m, uint64_t seed);

/* Scale the token and position embeddings from N(0, 0.02) to N(0, std)
 * (kvsim train uses std 1: docs/training.md says why). */
void train_scale_embeddings(Model *m, float std);

/* Tied embeddings, as GPT-2: the head is the token embedding transposed,
 * wout = tok_embᵀ. train_tie_weights() copies tok_emb into wout;
 * train_tie_grads() folds dL/dwout into dL/dtok_emb and zeroes dL/dwout,
 * so the optimiser moves tok_emb only; call train_tie_weights() again
 * after each update. A tied model's file still stores both (the engine
 * reads wout), so nothing else changes. */
void train_tie_weights(Model *m);
void train_tie_grads(Model *grad);

/* AdamW with linear warm-up, cosine decay to lr_min_frac·lr, and global
 * gradient-norm clipping. */
typedef struct {
    float lr, lr_min_frac;
    float beta1, beta2, eps, weight_decay;
    float clip;            /* max global grad norm; 0 = no clipping */
    int warmup, total;     /* steps */
} AdamConfig;

typedef struct {
    AdamConfig cfg;
    Model m, v;            /* first and second moments, the model's shapes */
    long step;             /* optimiser steps taken */
} Adam;

AdamConfig adam_default(int total_steps);
int adam_init(Adam *a, const KvConfig *cfg, const AdamConfig *ac);
void adam_free(Adam *a);
/* Learning rate of step s (0-based). */
float adam_lr(const AdamConfig *ac, long s);
/* One update of params from grad (clipped in place); returns the global
 * gradient norm before clipping. */
float adam_update(Adam *a, Model *params, Model *grad);

#endif
