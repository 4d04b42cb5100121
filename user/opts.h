/* SPDX-License-Identifier: GPL-2.0 */
/* The command line: options into one struct tt_config, and the help text. */
#ifndef TT_OPTS_H
#define TT_OPTS_H

#include "tt.h"

/*
 * Returns 0 to run, 1 when --help or --version was handled (exit 0), or
 * -EINVAL with a one-line message in @err (exit 2).
 */
int tt_parse_args(int argc, char **argv, struct tt_config *cfg, char *err, size_t errlen);
void tt_usage(FILE *f, const char *prog);
/* The one number parser: decimal only, no sign, no trailing garbage, in [min, max]. */
int tt_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
