/* modelfile: trained models on disk (spec §7, docs/model-format.md).
 *
 * A little-endian binary file: magic "KVSIMMDL", version 1, flags, the
 * configuration, the alphabet (the model's tokens as UTF-8, in id order),
 * every weight as float32 in model_arrays() order, optionally the
 * optimiser state of a training checkpoint, and a CRC-32 of everything
 * before it. The layout is in docs/model-format.md.
 *
 * Loading validates everything and refuses a bad file with one line in
 * err: wrong magic or version, unknown flags, a shape config_validate
 * refuses, an alphabet that is not V valid UTF-8 characters of kvsim's §3
 * alphabet without repeats, a size that disagrees with the configuration
 * (truncated or trailing bytes), a NaN or infinite weight, a bad checksum.
 *
 * Ownership: modelfile_load/parse fill a ModelFile whose arrays
 * modelfile_free releases.
 */
#ifndef KVSIM_MODELFILE_H
#define KVSIM_MODELFILE_H

#include "sim/model.h"

#include <stddef.h>
#include <stdint.h>

#define MODELFILE_MAGIC "KVSIMMDL"
#define MODELFILE_VERSION 1u
#define MODELFILE_FLAG_STATE 1u   /* optimiser state follows the weights */
#define MODELFILE_FLAG_ROPE 2u    /* §6.10: rotary positions, no position table (pos_emb has 0 rows) */

/* What a training checkpoint adds (flag MODELFILE_FLAG_STATE). */
typedef struct {
    uint64_t step;        /* optimiser steps taken */
    uint64_t rng;         /* the data generator's state */
    Model adam_m, adam_v; /* AdamW moments, the model's shapes */
} ModelFileState;

typedef struct {
    Model model;          /* cfg.vocab = number of alphabet entries */
    int32_t *alphabet;    /* (V) code point of each token id */
    int has_state;
    ModelFileState state; /* valid when has_state */
} ModelFile;

/* Parse a whole file held in memory. Returns 0, or -1 with one line. */
int modelfile_parse(ModelFile *f, const unsigned char *buf, size_t len, char *err, size_t errlen);
/* Read and parse path; messages start with the path. */
int modelfile_load(ModelFile *f, const char *path, char *err, size_t errlen);
void modelfile_free(ModelFile *f);

/* The shipped trained model (spec §7: what every command runs with no
 * model option and no shape option). Its bytes are models/default.kvsim
 * as it was at build time, compiled into the binary (tools/embed), so it
 * works from any directory and after `make install`. MODELFILE_DEFAULT_NAME
 * is the name trace/export JSON print as "model" and the UI title shows. */
#define MODELFILE_DEFAULT_NAME "default.kvsim"
/* Parse the built-in bytes with modelfile_parse (every check of --model).
 * Returns 0, or -1 with one line naming the built-in model. */
int modelfile_load_default(ModelFile *f, char *err, size_t errlen);
/* The built-in bytes themselves (*len set); for tests and tools. */
const unsigned char *modelfile_default_bytes(size_t *len);

/* Make cfg run the loaded model: its shape (vocab, d, H, Hkv, Lyr, F),
 * cfg->weights = &f->model and cfg->model_name = name. cfg keeps its
 * run options (window, block_size). max_seq: the file's, or cfg's when
 * max_seq_given and not larger. Returns 0, or -1 with one line. */
int modelfile_apply(const ModelFile *f, const char *name, KvConfig *cfg, int max_seq_given,
                    char *err, size_t errlen);

/* Write m and its alphabet (m->cfg.vocab code points), plus st when not
 * NULL, to path (through path.tmp and a rename, so a crash never leaves a
 * half-written file under the name). Returns 0, or -1 with one line. */
int modelfile_save(const char *path, const Model *m, const int32_t *alphabet,
                   const ModelFileState *st, char *err, size_t errlen);

/* The bytes of that file in memory (malloc'd, *len set); NULL when out of
 * memory. For tests and the fuzzer's seeds. */
unsigned char *modelfile_encode(const Model *m, const int32_t *alphabet,
                                const ModelFileState *st, size_t *len);

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32). */
uint32_t modelfile_crc32(const unsigned char *p, size_t n);

#endif
