/* traineval: see traineval.h. */
#include "sim/traineval.h"

#include "sim/run.h"
#include "sim/kernels.h"
#include "sim/rng.h"
#include "sim/train.h"
#include "sim/traindata.h"

#include <stdlib.h>
#include <string.h>

int traineval_copy(const Model *m, uint64_t seed, int n_phrases, CopyScore *out)
{
    memset(out, 0, sizeof *out);
    const int T = m->cfg.max_seq, V = m->cfg.vocab;
    Trainer t;
    if (trainer_init(&t, &m->cfg, 1, T)) return -1;
    int *inp = malloc(sizeof(int) * (size_t)T), *tgt = malloc(sizeof(int) * (size_t)T);
    if (!inp || !tgt) {
        free(inp);
        free(tgt);
        trainer_free(&t);
        return -1;
    }
    Rng r;
    rng_init(&r, seed);
    for (int s = 0; s < n_phrases; s++) {
        Rng probe = r;   /* the phrase length: the generator's first draw */
        const int len = 3 + (int)(rng_next(&probe) % 18u);
        traindata_copy_seq(&r, V, 3, 20, inp, tgt, T);
        trainer_forward(&t, m, inp, tgt);
        for (int i = len; i < T; i++) {
            const int guess = kernel_argmax(t.probs + (size_t)i * V, V);
            const int ok = guess == tgt[i];
            out->total++;
            out->correct += ok;
            /* the pair (inp[i-1], inp[i]) picks the source when every earlier
             * occurrence is followed by the same token */
            int seen = 0, agree = 1, next = -1;
            for (int j = 1; j < i; j++)
                if (inp[j - 1] == inp[i - 1] && inp[j] == inp[i]) {
                    if (seen && inp[j + 1] != next) agree = 0;
                    next = inp[j + 1];
                    seen = 1;
                }
            if (seen && agree) {
                out->unique++;
                out->unique_correct += ok;
            }
        }
    }
    free(inp);
    free(tgt);
    trainer_free(&t);
    return 0;
}

int traineval_greedy(const Model *m, const int *ids, int L, int G, int *out)
{
    char err[200];
    if (L + G > m->cfg.max_seq || L < 1 || G < 1) return -1;
    Run r;
    const RunPrompt p = {ids, L};
    if (run_init(&r, &m->cfg, m, RUN_MODE_BIT(MODE_CACHE), &p, 1, G, err, sizeof err)) return -1;
    const Engine *e = run_engine(&r, MODE_CACHE);
    run_seek(&r, MODE_CACHE, engine_total_ops(e));
    for (int k = 0; k < G; k++) out[k] = engine_emitted(e, k);
    run_free(&r);
    return 0;
}

int traineval_heads(const Model *m, const int *ids, int L, float *induction, float *prev)
{
    char err[200];
    if (L < 2 || L > m->cfg.max_seq) return -1;
    Run r;
    const RunPrompt p = {ids, L};
    if (run_init(&r, &m->cfg, m, RUN_MODE_BIT(MODE_TRAIN), &p, 1, 1, err, sizeof err)) return -1;
    const Engine *e = run_engine(&r, MODE_TRAIN);
    run_seek(&r, MODE_TRAIN, engine_total_ops(e));
    const int H = m->cfg.n_heads;
    for (int l = 0; l < m->cfg.n_layers; l++)
        for (int h = 0; h < H; h++) {
            double ind = 0, pv = 0;
            int n_ind = 0, n_pv = 0;
            for (int i = 1; i < L; i++) {
                const float *row = engine_att_row(e, l, h, i);
                pv += row[i - 1];
                n_pv++;
                double w = 0;
                int found = 0;
                for (int j = 0; j + 1 < i; j++)
                    if (ids[j] == ids[i]) {
                        w += row[j + 1];
                        found = 1;
                    }
                if (found) {
                    ind += w;
                    n_ind++;
                }
            }
            induction[l * H + h] = n_ind ? (float)(ind / n_ind) : 0.0f;
            prev[l * H + h] = n_pv ? (float)(pv / n_pv) : 0.0f;
        }
    run_free(&r);
    return 0;
}
