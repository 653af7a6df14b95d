/* tokenizer: UTF-8 text <-> token ids, one token per character.
 *
 * The alphabet is fixed and compiled in, so token ids are the same on every
 * machine: ids 0..94 are printable ASCII (space 0x20 .. tilde 0x7E) in code
 * point order, then CJK punctuation and Chinese characters in ascending
 * code point order. tokenizer_vocab() is the vocabulary size V of the model.
 *
 * Invariants:
 *   - tokenizer_decode(tokenizer_encode(c)) == c for every alphabet character;
 *   - ids are dense: 0 <= id < tokenizer_vocab().
 * No allocation: callers pass their own buffers.
 */
#ifndef KVSIM_TOKENIZER_H
#define KVSIM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

/* Number of tokens in the alphabet (V). */
int tokenizer_vocab(void);

/* A model's own alphabet (§7): code points cps[0..n-1] become token ids
 * 0..n-1 for tokenizer_vocab/codepoint/id/encode/decode/width until
 * tokenizer_use_alphabet(NULL, 0) restores the full alphabet. Each entry
 * must be in the full alphabet (the model file loader checks). cps is
 * borrowed and must outlive its use. Process-wide, like the locale: the
 * program sets it once, after loading --model FILE. */
void tokenizer_use_alphabet(const int32_t *cps, int n);
/* Size of the model alphabet in use, 0 when the full one is. */
int tokenizer_model_alphabet(void);

/* The full compiled-in alphabet, whatever tokenizer_use_alphabet chose:
 * its size, the code point of an id, the id of a code point (or -1). */
int tokenizer_full_vocab(void);
int32_t tokenizer_full_codepoint(int id);
int tokenizer_full_id(int32_t cp);

/* Code point of token `id`, or -1 when id is out of range. */
int32_t tokenizer_codepoint(int id);

/* Token id of code point `cp`, or -1 when it is not in the alphabet. */
int tokenizer_id(int32_t cp);

/* Encode NUL-terminated UTF-8 `text` into at most `cap` ids.
 * Returns the number of tokens (>= 0), or -1 on error with a one-line
 * message in `err` (errlen bytes) that names the problem and its position:
 *   invalid UTF-8 at byte 4 (0xff)
 *   character '€' (U+20AC) at position 3 is not in the alphabet (printable ASCII and common Chinese)
 *   prompt has 70 characters; at most 64 allowed   (when it does not fit in cap)
 * Positions are 1-based character positions (what a person counts). */
int tokenizer_encode(const char *text, int *ids, int cap, char *err, size_t errlen);

/* Write the UTF-8 bytes of token `id` plus a NUL into out (at least 5 bytes).
 * Returns the number of bytes written (without NUL); 0 for a bad id. */
int tokenizer_decode(int id, char out[5]);

/* Display width of a token in terminal columns: 1 for ASCII and general
 * punctuation (— “ ” …), 2 for CJK characters and CJK punctuation. */
int tokenizer_width(int id);

/* Decode one UTF-8 sequence at s. On success stores the code point in *cp
 * and returns the byte length (1..4); returns 0 at NUL and -1 on invalid
 * UTF-8 (overlong, surrogate, > U+10FFFF, truncated, stray continuation). */
int utf8_next(const char *s, int32_t *cp);

/* Encode code point cp (a Unicode scalar value) as UTF-8 into out (at
 * least 4 bytes, no NUL added); returns the byte count 1..4. */
int utf8_encode(int32_t cp, char *out);

#endif
