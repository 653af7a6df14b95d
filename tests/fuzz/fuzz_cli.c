/* fuzz_cli: libFuzzer target for the command line (ui/cmd/cli.h) and --keys
 * (frames_parse_keys of ui/cmd/frames.h).
 *
 * The input is split on NUL bytes into argv[1..] (argv[0] = "kvsim"), then
 * run through cli_parse() and, when that succeeds, cli_prepare() with an
 * ids buffer of max-seq entries, as ui/cmd/main.c does. frames_parse_keys() gets
 * --keys when given, and every argument. Checked besides the sanitizers:
 * 0/-1 results with a message on -1, and that message free of control
 * bytes unless the arguments had some; a prepared run has 1 <= L, L + G <=
 * max-seq, ids in 0..V-1 and fits CONFIG_MAX_BYTES; keys never exceed cap;
 * calc and bench values stay in their ranges; the --help text of the
 * command asked for is generated (the option table behind both).
 * See tests/fuzz/fuzz.mk. */
#include "sim/config.h"
#include "sim/tokenizer.h"
#include "ui/cmd/cli.h"
#include "ui/cmd/frames.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_cli: invariant failed: %s (%s:%d)\n", #cond,        \
                    __FILE__, __LINE__);                                              \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#define MAX_ARGS 256

/* Whether s holds a control byte (C0 or DEL): a message must not show one
 * that the command line did not contain. */
static int has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
    return 0;
}
#define KEYS_CAP 4096   /* MAX_KEYS of ui/cmd/frames.c */

static void keys_of(const char *s)
{
    static int keys[KEYS_CAP + 1];
    char err[256];
    keys[KEYS_CAP] = 0x5a5a5a5a;
    err[0] = '\0';
    int n = frames_parse_keys(s, keys, KEYS_CAP, err, sizeof err);
    CHECK(n >= -1 && n <= KEYS_CAP);
    CHECK(keys[KEYS_CAP] == 0x5a5a5a5a);
    if (n < 0) CHECK(err[0] != '\0');
    /* a tiny cap exercises the "more than N keys" path */
    int few[3];
    n = frames_parse_keys(s, few, 2, err, sizeof err);
    CHECK(n >= -1 && n <= 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';

    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"kvsim";
    /* pieces between NULs; a trailing NUL does not add an empty argument */
    size_t start = 0;
    for (size_t i = 0; i <= size && argc < MAX_ARGS + 1; i++) {
        if (i == size || buf[i] == '\0') {
            if (i == size && start == size && size > 0) break;
            argv[argc++] = buf + start;
            start = i + 1;
        }
    }
    argv[argc] = NULL;
    if (size == 0) argc = 1;   /* no input: plain "kvsim" */

    /* cli_parse moves the words after the command to the end of argv; keep
     * our own pointers to the pieces */
    char *pieces[MAX_ARGS + 2];
    memcpy(pieces, argv, sizeof(char *) * (size_t)(argc + 1));

    int input_ctl = 0;
    for (int i = 1; i < argc; i++) input_ctl |= has_ctl(argv[i]);

    CliOptions o;
    char err[512];
    err[0] = '\0';
    int rc = cli_parse(argc, argv, &o, err, sizeof err);
    CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        CHECK(err[0] != '\0');
        CHECK(input_ctl || !has_ctl(err));   /* one clean line */
    } else if (o.cmd == CMD_HELP) {
        static FILE *sink;
        if (!sink) sink = fopen("/dev/null", "w");
        if (sink) cli_usage(sink, o.help_for);
    } else if (o.cmd == CMD_CALC) {
        CHECK(o.calc.in.batch >= 1 && o.calc.in.balance > 0);
        CHECK(o.calc.ffn_matrices == 0 || o.calc.ffn_matrices == 2 || o.calc.ffn_matrices == 3);
    } else if (o.cmd == CMD_BENCH) {
        CHECK(o.bench.runs >= 1 && o.bench.recompute_runs >= 1);
        CHECK(o.bench.shapes < 8u);
    } else if (o.cmd != CMD_VERSION) {
        CHECK(o.prompt != NULL);
        CHECK(o.width >= 20 && o.width <= 1000 && o.height >= 8 && o.height <= 500);
        if (o.cmd == CMD_LESSON) CHECK(o.nargs >= 0 && o.nargs <= argc);
        int cap = o.cfg.max_seq > 0 ? o.cfg.max_seq : 1;
        int *ids = malloc(sizeof(int) * (size_t)cap);
        if (ids) {
            err[0] = '\0';
            int L = cli_prepare(&o, ids, o.cfg.max_seq, err, sizeof err);
            CHECK(L >= -1);
            if (L < 0) {
                CHECK(err[0] != '\0');
                CHECK(input_ctl || !has_ctl(err));
            } else {
                CHECK(L >= 1 && L <= o.cfg.max_seq);
                CHECK((long long)L + o.gen <= o.cfg.max_seq);
                for (int i = 0; i < L; i++) CHECK(ids[i] >= 0 && ids[i] < tokenizer_vocab());
                CHECK(config_memory_bytes(&o.cfg) <= CONFIG_MAX_BYTES);
            }
            free(ids);
        }
        if (o.keys) keys_of(o.keys);
    }
    for (int i = 1; i < argc; i++) keys_of(pieces[i]);

    free(buf);
    return 0;
}
