/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What both BPF objects take from kern/common.bpf.h, set the same way before
 * either is loaded: the address family and port filters, and the ring
 * buffer's size and wake-up mark.  A macro, as each skeleton has its own types.
 */
#ifndef TT_SKEL_COMMON_H
#define TT_SKEL_COMMON_H

#include <string.h>
#include <bpf/libbpf.h>
#include "tt.h"

/*
 * The wake-up mark for a --ringbuf of @kib: a quarter of the ring, as the
 * default TT_WAKEUP_BYTES is of the default ring, and never above it.
 */
static inline uint32_t tt_wakeup_bytes(unsigned int kib)
{
	uint32_t quarter = kib * 1024 / 4;

	return quarter < TT_WAKEUP_BYTES ? quarter : TT_WAKEUP_BYTES;
}

/* @s: an opened, not yet loaded skeleton; @cfg: struct tt_config. */
#define TT_SKEL_SET_COMMON(s, cfg)                                                         \
	do {                                                                               \
		_Static_assert(sizeof((s)->rodata->targ_ports) == sizeof((cfg)->ports),    \
			       "the -P list as it is");                                    \
		(s)->rodata->targ_family = (cfg)->family;                                  \
		(s)->rodata->targ_nports = (cfg)->nports;                                  \
		memcpy((s)->rodata->targ_ports, (cfg)->ports, sizeof((cfg)->ports));       \
		if ((cfg)->ringbuf_kib) {                                                  \
			bpf_map__set_max_entries((s)->maps.events, (cfg)->ringbuf_kib * 1024); \
			(s)->rodata->wakeup_bytes = tt_wakeup_bytes((cfg)->ringbuf_kib);   \
		}                                                                          \
	} while (0)

#endif
