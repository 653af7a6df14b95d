/* traindata: see traindata.h. */
#include "sim/traindata.h"

#include "sim/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)
#define ROW_MAX 4096   /* longest row (T + 1) the generators build */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

/* Add every character of text to the set (by full-alphabet id). */
static int mark_chars(const char *text, const char *path, unsigned char *used, char *err,
                      size_t errlen)
{
    int line = 1;
    for (size_t i = 0; text[i];) {
        int32_t cp;
        int n = utf8_next(text + i, &cp);
        if (n < 0) {
            snprintf(err, errlen, "%s:%d: invalid UTF-8", path, line);
            return -1;
        }
        if (cp == '\n') line++;
        else if (cp != '\r') {
            int id = tokenizer_full_id(cp);
            if (id < 0) {
                char ch[5];
                ch[utf8_encode(cp, ch)] = '\0';
                snprintf(err, errlen, "%s:%d: character '%s' (U+%04X) is not in kvsim's alphabet",
                         path, line, ch, (unsigned)cp);
                return -1;
            }
            used[id] = 1;
        }
        i += (size_t)n;
    }
    return 0;
}

int traindata_id(const TrainData *td, int32_t cp)
{
    int lo = 0, hi = td->n_alphabet - 1;   /* alphabet is in full-alphabet id order = code point order */
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (td->alphabet[mid] == cp) return mid;
        if (td->alphabet[mid] < cp) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

int traindata_load(TrainData *td, const char *corpus_path, const char *extra_path, char *err,
                   size_t errlen)
{
    memset(td, 0, sizeof *td);
    size_t len = 0, elen = 0;
    char *text = read_file(corpus_path, &len), *extra = NULL;
    unsigned char *used = calloc((size_t)tokenizer_full_vocab(), 1);
    if (!used) FAIL("out of memory");
    if (!text) FAIL("%s: cannot read the corpus", corpus_path);
    if (extra_path && !(extra = read_file(extra_path, &elen)))
        FAIL("%s: cannot read the extra alphabet", extra_path);
    for (int c = 0x20; c < 0x7F; c++) used[tokenizer_full_id(c)] = 1;
    if (mark_chars(text, corpus_path, used, err, errlen)) goto fail;
    if (extra && mark_chars(extra, extra_path, used, err, errlen)) goto fail;
    for (int id = 0; id < tokenizer_full_vocab(); id++)
        if (used[id]) {
            if (td->n_alphabet == TRAINDATA_MAX_ALPHABET) FAIL("alphabet over %d characters", TRAINDATA_MAX_ALPHABET);
            td->alphabet[td->n_alphabet++] = tokenizer_full_codepoint(id);
        }
    td->space_id = traindata_id(td, ' ');

    /* sentences: one per line */
    td->text = malloc(sizeof(int) * (len + 1));
    td->sent = malloc(sizeof(int) * (len + 2));
    td->wtext = malloc(sizeof(int) * (2 * len + 2));
    td->word = malloc(sizeof(int) * (len + 2));
    td->sent_word = malloc(sizeof(int) * (len + 2));
    td->word_zh = malloc(len + 2);
    td->sent_zh = malloc(len + 2);
    if (!td->text || !td->sent || !td->wtext || !td->word || !td->sent_word || !td->word_zh ||
        !td->sent_zh)
        FAIL("out of memory");
    int nw = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = '\0';
        if (ll && line[0] != '#') {
            td->sent_word[td->n_sent] = nw;
            td->sent_zh[td->n_sent] = (unsigned char)line[0] >= 0x80;
            td->sent[td->n_sent++] = td->n_text;
            int start = td->n_text;
            for (size_t i = 0; line[i];) {
                int32_t cp;
                int n = utf8_next(line + i, &cp);
                td->text[td->n_text++] = traindata_id(td, cp);
                i += (size_t)n;
            }
            /* words: split at spaces (English); a Chinese run is cut into
             * pieces of two characters; a word keeps its joiner in front */
            for (int i = start; i < td->n_text;) {
                if (td->text[i] == td->space_id) { i++; continue; }
                const int ascii = td->alphabet[td->text[i]] < 0x80;
                int j = i;
                if (ascii) while (j < td->n_text && td->text[j] != td->space_id) j++;
                else j = (i + 2 < td->n_text) ? i + 2 : td->n_text;
                td->word[nw] = nw ? td->word[nw] : 0;
                td->word_zh[nw] = !ascii;
                int at = td->word[nw];
                if (ascii) td->wtext[at++] = td->space_id;
                for (int k = i; k < j; k++) td->wtext[at++] = td->text[k];
                td->word[++nw] = at;
                i = j;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    td->sent[td->n_sent] = td->n_text;
    td->sent_word[td->n_sent] = nw;
    td->n_word = nw;
    if (td->n_sent == 0) FAIL("%s: no sentences", corpus_path);
    free(text);
    free(extra);
    free(used);
    return 0;
fail:
    free(text);
    free(extra);
    free(used);
    traindata_free(td);
    return -1;
}

void traindata_free(TrainData *td)
{
    free(td->text);
    free(td->sent);
    free(td->word);
    free(td->wtext);
    free(td->sent_word);
    free(td->word_zh);
    free(td->sent_zh);
    memset(td, 0, sizeof *td);
}

static int below(Rng *r, int n) { return (int)(rng_next(r) % (uint64_t)n); }

static void split_row(const int *row, int *inp, int *tgt, int T)
{
    memcpy(inp, row, sizeof(int) * (size_t)T);
    memcpy(tgt, row + 1, sizeof(int) * (size_t)T);
}

/* Fill row[0..n) by repeating unit[0..len). */
static void repeat_into(int *row, int n, const int *unit, int len)
{
    for (int i = 0; i < n; i++) row[i] = unit[i % len];
}

/* A copy row; returns the phrase length. */
static int copy_row(Rng *r, int V, int lo, int hi, int *inp, int *tgt, int T)
{
    int row[ROW_MAX], phrase[64];
    const int len = lo + below(r, hi - lo + 1);
    for (int i = 0; i < len; i++) phrase[i] = below(r, V);
    repeat_into(row, T + 1, phrase, len);
    split_row(row, inp, tgt, T);
    return len;
}

void traindata_copy_seq(Rng *r, int V, int lo, int hi, int *inp, int *tgt, int T)
{
    copy_row(r, V, lo, hi, inp, tgt, T);
}

/* A corpus word of the given language (1: Chinese), drawn uniformly. */
static int word_of_lang(const TrainData *td, Rng *r, int zh)
{
    for (int tries = 0; tries < 64; tries++) {
        const int i = below(r, td->n_word);
        if (td->word_zh[i] == zh) return i;
    }
    return below(r, td->n_word);
}

/* Append word w (with its joiner) to unit; returns the new length. */
static int put_word(const TrainData *td, int w, int *unit, int len, int cap)
{
    for (int j = td->word[w]; j < td->word[w + 1] && len < cap; j++) unit[len++] = td->wtext[j];
    return len;
}

void traindata_row(const TrainData *td, Rng *r, int phase, const TrainMix *mix, int *inp,
                   int *tgt, int T)
{
    const int V = td->n_alphabet;
    const int pick = phase == 1 ? 0 : below(r, 100);
    if (pick < (phase == 1 ? 100 : mix->copy_pct)) {
        const int len = copy_row(r, V, mix->copy_min, mix->copy_max, inp, tgt, T);
        /* the first copy cannot be predicted: no loss there */
        if (mix->mask_first)
            for (int i = 0; i < len && i < T; i++) tgt[i] = -1;
        return;
    }
    int row[ROW_MAX + 64], n = 0;
    if (pick < mix->copy_pct + mix->words_pct && td->n_word > 0) {
        /* a few corpus words in a new order, repeated */
        int unit[256], len = 0;
        const int k = 2 + below(r, 5);
        int zh = -1;
        for (int w = 0; w < k; w++) {
            const int i = zh >= 0 ? word_of_lang(td, r, zh) : below(r, td->n_word);
            if (mix->same_lang && zh < 0) zh = td->word_zh[i];
            len = put_word(td, i, unit, len, 256);
        }
        repeat_into(row, T + 1, unit, len);
        split_row(row, inp, tgt, T);
        return;
    }
    if (pick < mix->copy_pct + mix->words_pct + mix->repeat_pct && td->n_word > 0) {
        /* one or two sentences of one language, some words swapped, repeated */
        int unit[512] = {0}, len = 0;
        const int s0 = below(r, td->n_sent), zh = td->sent_zh[s0];
        const int k = 1 + below(r, 2);
        for (int q = 0; q < k && len <= T / 3; q++) {   /* a second one only if the unit repeats */
            int s = s0;
            if (q > 0)
                for (int tries = 0; tries < 64; tries++) {
                    s = below(r, td->n_sent);
                    if (td->sent_zh[s] == zh) break;
                }
            for (int w = td->sent_word[s]; w < td->sent_word[s + 1]; w++) {
                const int swap = mix->swap_pct > 0 && below(r, 100) < mix->swap_pct;
                len = put_word(td, swap ? word_of_lang(td, r, zh) : w, unit, len, 512);
            }
        }
        /* English words carry a leading space: the row starts after it */
        const int skip = unit[0] == td->space_id;
        repeat_into(row, T + 1 + skip, unit, len);
        split_row(row + skip, inp, tgt, T);
        return;
    }
    /* sentences in a random order; start anywhere inside the first one */
    int s = below(r, td->n_sent);
    int i = td->sent[s] + below(r, td->sent[s + 1] - td->sent[s]);
    while (n < T + 1) {
        while (i < td->sent[s + 1] && n < T + 1) row[n++] = td->text[i++];
        if (n >= T + 1) break;
        const int last = td->text[td->sent[s + 1] - 1];
        if (td->alphabet[last] < 0x80) row[n++] = td->space_id;   /* English: a space between */
        s = below(r, td->n_sent);
        i = td->sent[s];
    }
    split_row(row, inp, tgt, T);
}
