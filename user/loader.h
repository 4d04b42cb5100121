/* SPDX-License-Identifier: GPL-2.0 */
/* BPF lifecycle: open -> configure -> load -> attach, and one teardown. */
#ifndef TT_LOADER_H
#define TT_LOADER_H

#include "tt.h"

struct tcptrack_bpf;
struct bpf_link;

#define TT_MAX_LINKS 16

struct tt_bpf {
	struct tcptrack_bpf *skel;
	struct bpf_link *links[TT_MAX_LINKS];
	int nlinks;
	const char *accept_hook;	/* what was chosen, for -v and the banner */
	bool syscall_tps;		/* syscalls:* tracepoints attached */
};

/* On failure fills @err with one line (cause and hint) and leaves nothing attached. */
int tt_bpf_start(struct tt_bpf *b, const struct tt_config *cfg, char *err, size_t len);
void tt_bpf_stop(struct tt_bpf *b);
int tt_bpf_events_fd(const struct tt_bpf *b);
int tt_bpf_counters_fd(const struct tt_bpf *b);
int tt_bpf_counters(const struct tt_bpf *b, uint64_t out[TT_CNT_MAX]);
/*
 * Program runs the kernel skipped because the program was already running,
 * less the @rescued state changes (TT_CNT_STATE_RESCUED, read before) that
 * tt_set_state's twin ran for in its place.
 */
uint64_t tt_bpf_skipped(const struct tt_bpf *b, uint64_t rescued);

#endif
