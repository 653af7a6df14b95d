/* traindata: the data recipe of `kvsim train` (docs/training.md).
 *
 * Three kinds of training row, each T + 1 tokens (inputs are the first T,
 * targets the last T, so every position predicts the next token):
 *   copy    a random phrase (copy_min..copy_max tokens drawn uniformly
 *           from the alphabet) repeated until the row is full; the repeats
 *           are what grows the induction head;
 *   words   2..6 words of the corpus in a new random order, repeated (copy
 *           over real words);
 *   repeat  one or two corpus sentences of one language, each word swapped
 *           for another corpus word with probability swap_pct, written and then
 *           repeated (copying real text against the corpus's own prior, as
 *           the demo prompts do);
 *   text    corpus sentences in a random order, one after another.
 * Phase 1 is copy only; phase 2 mixes copy / words / text (percentages in
 * TrainMix). Rows are drawn from a seeded Rng, so a seed fixes the data.
 *
 * The corpus is a UTF-8 file, one sentence per line; lines starting with
 * '#' and empty lines are skipped. Sentences are joined with a space when
 * the earlier one ends in an ASCII character, else with nothing (Chinese).
 *
 * The alphabet (model ids 0..V-1) is printable ASCII, every character of
 * the corpus and every character of the extra file (the Chinese of the
 * lessons' prompts), in the order of the full §3 alphabet (tokenizer.h).
 */
#ifndef KVSIM_TRAINDATA_H
#define KVSIM_TRAINDATA_H

#include "sim/rng.h"

#include <stddef.h>
#include <stdint.h>

#define TRAINDATA_MAX_ALPHABET 1024

typedef struct {
    int32_t alphabet[TRAINDATA_MAX_ALPHABET];   /* code points, id order */
    int n_alphabet;
    int *text;       /* (n_text) every sentence as model ids, back to back */
    int n_text;
    int *sent;       /* (n_sent + 1) start of sentence i in text; sent[n_sent] = n_text */
    int n_sent;
    int *word;       /* (n_word + 1) start of word i in wtext */
    int *wtext;      /* (word[n_word]) the words, each with its joiner (a space or nothing) first */
    int n_word;
    int *sent_word;  /* (n_sent + 1) first word of sentence i */
    int space_id;
    unsigned char *word_zh; /* (n_word) 1: the word is Chinese */
    unsigned char *sent_zh; /* (n_sent) 1: the sentence is Chinese */    /* model id of ' ' */
} TrainData;

typedef struct {
    int copy_pct, words_pct;   /* phase 2: the rest is text */
    int repeat_pct;            /* phase 2: rows of a corpus sentence (words swapped) repeated */
    int swap_pct;              /* repeat rows: chance in percent that a word is swapped */
    int same_lang;             /* 1: a words row keeps to the first word's language */
    int copy_min, copy_max;    /* copy phrase lengths, 1 .. 64 */
    int mask_first;            /* copy rows: no target where the next token cannot be predicted */
} TrainMix;

/* Read the corpus file and the extra-alphabet file (may be NULL). Returns
 * 0, or -1 with one line in err (file, line, what is wrong). */
int traindata_load(TrainData *td, const char *corpus_path, const char *extra_path, char *err,
                   size_t errlen);
void traindata_free(TrainData *td);

/* Model id of code point cp, or -1. */
int traindata_id(const TrainData *td, int32_t cp);

/* One copy row over ids 0..V-1 (phrase length lo..hi). */
void traindata_copy_seq(Rng *r, int V, int lo, int hi, int *inp, int *tgt, int T);

/* One row of the given phase (1: copy only; 2: the mix). */
void traindata_row(const TrainData *td, Rng *r, int phase, const TrainMix *mix, int *inp,
                   int *tgt, int T);

#endif
