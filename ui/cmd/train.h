/* train_cmd: `kvsim train ...` — the training command (docs/training.md).
 *
 * Parses its own options (argv[0] is "train"), trains with sim/train.h on
 * the data of sim/traindata.h, prints progress, writes a model file.
 * Bad input: one line on stderr, status 2. Ctrl-C: a checkpoint, 130.
 */
#ifndef KVSIM_TRAIN_CMD_H
#define KVSIM_TRAIN_CMD_H

#include <stdio.h>

int train_cmd_run(int argc, char **argv);
void train_cmd_usage(FILE *f);

#endif
