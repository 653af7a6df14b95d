/* machine_file: the machine `kvsim bench` measured, kept in a small text
 * file so that the memory view's roofline can draw it later
 * (docs/performance.md §8).
 *
 * `kvsim bench --save-machine[=FILE]` writes it (ui/cmd/bench.c); the
 * roofline panel reads it (ui/panels/roofline.c) when KVSIM_MACHINE is not
 * set. The file, one "key: value" a line, '#' starting a comment line:
 *
 *   format: kvsim-machine 1          required, first key
 *   read_bandwidth_gbs: 81.23        required, > 0: bench's read_bandwidth_gbs
 *   peak_gflops: 104.94              required, > 0: bench's peak_gflops
 *   sweep_bytes: 19824640            the buffer that bandwidth was read over
 *   sweep_shape: d288-T256           the shape whose weights set that size
 *   cpu: 1                           the CPU bench pinned itself to
 *   cpu_model: AMD EPYC (family 26, model 2)
 *   date: 2026-12-03T07:15:02Z       UTC, when bench finished
 *   kvsim: 0.1.0                     the version that measured
 *   kernels: avx2                    the kernel variant (kernel_variant())
 *
 * Keys the reader does not know are skipped, so later versions may add
 * some. Where it lives (machine_file_path): $KVSIM_MACHINE_FILE when set
 * (set and empty: no file at all, which is how the tests keep a user's
 * file out of golden screens); else $XDG_CONFIG_HOME/kvsim/machine; else
 * $HOME/.config/kvsim/machine.
 */
#ifndef KVSIM_MACHINE_FILE_H
#define KVSIM_MACHINE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MACHINE_FILE_FORMAT "kvsim-machine 1"
#define MACHINE_FILE_ENV "KVSIM_MACHINE_FILE"
/* Longest line the reader takes, and the most bytes it reads. */
enum { MACHINE_FILE_LINE_MAX = 256, MACHINE_FILE_MAX_BYTES = 16384 };

/* What a machine file holds. Text fields are "" when absent; cpu -1. */
typedef struct {
    double gbs;              /* read_bandwidth_gbs */
    double gflops;           /* peak_gflops */
    uint64_t sweep_bytes;    /* 0: absent */
    char sweep_shape[32];
    int cpu;
    char cpu_model[96];
    char date[32];           /* "2026-12-03T07:15:02Z"; the reader keeps what is there */
    char version[32];
    char kernels[32];
} MachineRecord;

/* Why a file could not be used (machine_file_read). */
typedef enum {
    MACHINE_FILE_OK,
    MACHINE_FILE_MISSING,    /* no such file: nothing was ever saved there */
    MACHINE_FILE_UNREADABLE, /* it exists but cannot be read (.err: errno) */
    MACHINE_FILE_NOT_OURS,   /* no "format: kvsim-machine 1" first */
    MACHINE_FILE_BAD_LINE,   /* .line: not "key: value", or too long */
    MACHINE_FILE_BAD_VALUE,  /* .line, .key: a value out of range or not a number */
    MACHINE_FILE_NO_KEY,     /* .key: a required key is missing */
    MACHINE_FILE_TOO_BIG,    /* over MACHINE_FILE_MAX_BYTES */
} MachineFileStatus;

typedef struct {
    MachineFileStatus status;
    int line;                /* 1-based, for BAD_LINE and BAD_VALUE */
    char key[32];            /* for BAD_VALUE and NO_KEY */
    int err;                 /* errno, for UNREADABLE */
} MachineFileProblem;

/* The machine file's path into buf (cap bytes). Returns 1 and the path;
 * 0 when there is none: KVSIM_MACHINE_FILE set and empty, or neither
 * XDG_CONFIG_HOME (absolute) nor HOME set (buf gets "" then); -1 when the
 * path does not fit in cap. *from_env is set when KVSIM_MACHINE_FILE gave it. */
int machine_file_path(char *buf, size_t cap, bool *from_env);

/* Parse the text of a machine file (len bytes, need not end in '\n').
 * Fills *r and returns MACHINE_FILE_OK, or the problem in *p (p->status
 * too) with *r undefined. */
MachineFileStatus machine_file_parse(const char *text, size_t len, MachineRecord *r, MachineFileProblem *p);

/* Read and parse the file at path: machine_file_parse's result, or
 * MISSING / UNREADABLE / TOO_BIG. */
MachineFileStatus machine_file_read(const char *path, MachineRecord *r, MachineFileProblem *p);

/* The problem as a short English phrase ("line 3: peak_gflops is not a
 * positive number"), or in Chinese when zh; into buf. */
const char *machine_file_problem_text(const MachineFileProblem *p, bool zh, char *buf, size_t cap);

/* Whether path can be written, checked before a long measurement: its
 * directory exists and is writable, and the path, if it exists, is a
 * writable regular file. With make_dir, a missing directory is created
 * first (its parent must exist; the default path's ~/.config/kvsim).
 * Returns 0, or -1 with one line in err (what and why, no "kvsim: "). */
int machine_file_check(const char *path, bool make_dir, char *err, size_t errlen);

/* Write r to path with a comment header: into path.tmp-PID, then renamed
 * over path, so a reader never sees half a file. Returns 0, or -1 with one
 * line in err. */
int machine_file_write(const char *path, const MachineRecord *r, char *err, size_t errlen);

/* This CPU as /proc/cpuinfo names it: "AMD EPYC (family 26, model 2)";
 * "unknown" where there is no /proc/cpuinfo. */
void machine_file_cpu_model(char *buf, size_t cap);

#endif
