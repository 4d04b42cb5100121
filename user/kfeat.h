/* SPDX-License-Identifier: GPL-2.0 */
/* What the running kernel offers the BPF programs, read from its BTF for -v and refusals. */
#ifndef TT_KFEAT_H
#define TT_KFEAT_H

#include <stddef.h>

/*
 * Fails with one line when the kernel has no BTF (CO-RE and tp_btf need it),
 * saying how to check, or without a helper the programs need (naming the release that
 * brought it); with -v, says which helpers the programs use or do without.
 */
int tt_kfeat_check(char *err, size_t len);

#endif
