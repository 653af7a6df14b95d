/* prefix_fixture: what the prefix-sharing suites share (tests/test_prefix.c,
 * tests/test_prefix_window.c): a seeded generator for prompts, the common
 * prefix of two prompts, the pool's invariants as a test failure, the
 * shipped model for their grids, and a grid case's configuration. Header
 * only: each suite is one translation unit; define PFX_SUITE (its name)
 * before including it. */
#ifndef KVSIM_PREFIX_FIXTURE_H
#define KVSIM_PREFIX_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "sim/config.h"
#include "sim/modelfile.h"
#include "sim/paged.h"
#include "sim/run.h"

#define PFX_MODEL_PATH "models/default.kvsim"

/* A 64-bit LCG: the same prompts on every machine. */
static inline uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Length of the common prefix of a[0..La-1] and b[0..Lb-1]. */
static inline int lcp(const int *a, int La, const int *b, int Lb)
{
    int c = 0;
    while (c < La && c < Lb && a[c] == b[c]) c++;
    return c;
}

/* paged_check() as a test failure that says where. */
static inline void check(const PagedPool *p, const char *what)
{
    char err[256];
    if (paged_check(p, err, sizeof err)) fail_msg("%s: paged_check: %s", what, err);
}

/* The shipped trained model, loaded once for the suite's grid. */
static ModelFile trained;
static bool have_trained;

static inline int setup(void **state)
{
    (void)state;
    char err[256];
    have_trained = modelfile_load(&trained, PFX_MODEL_PATH, err, sizeof err) == 0;
    if (!have_trained) fprintf(stderr, "%s: %s\n", PFX_SUITE, err);
    return have_trained ? 0 : -1;
}

static inline int teardown(void **state)
{
    (void)state;
    if (have_trained) modelfile_free(&trained);
    return 0;
}

/* A grid case: heads 0 = the trained model, else a random one of width d
 * (vocabulary 37, d_ff 2d, its seed from seed_base and the heads); paged
 * blocks of B, a window W (0: none), prefix sharing on. */
static inline KvConfig pfx_case_config(int heads, int kv_heads, int d, int layers, int B, int W, int max_seq,
                                       uint64_t seed_base)
{
    KvConfig c = config_default();
    if (heads == 0) {
        c = trained.model.cfg;
        c.weights = &trained.model;
    } else {
        c.vocab = 37;
        c.d_model = d;
        c.n_heads = heads;
        c.n_kv_heads = kv_heads;
        c.n_layers = layers;
        c.d_ff = 2 * d;
        c.seed = seed_base + (uint64_t)heads;
    }
    c.max_seq = max_seq;
    c.block_size = B;
    c.window = W;
    c.prefix_cache = true;
    return c;
}

/* Move a run's cache engine op by op to the end, back two steps, to the
 * start, one layer on and to the end again: it must end in the state of
 * a run that went straight through. */
static inline void pfx_walk(Run *walk)
{
    while (run_move(walk, MODE_CACHE, RUN_NEXT_OP)) {
    }
    run_move(walk, MODE_CACHE, RUN_PREV_STEP);
    run_move(walk, MODE_CACHE, RUN_PREV_STEP);
    run_move(walk, MODE_CACHE, RUN_START);
    run_move(walk, MODE_CACHE, RUN_NEXT_LAYER);
    run_move(walk, MODE_CACHE, RUN_END);
}

#endif
