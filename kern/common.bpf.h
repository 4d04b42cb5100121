/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What both BPF objects share: the ring buffer and counters (user space
 * hands the socket view's maps to the wire view), the port filter, and
 * when to wake the reader.
 */
#ifndef TT_COMMON_BPF_H
#define TT_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tcptrack.h"

/* one load now, not one the compiler may repeat or merge with another */
#define READ_ONCE(x)	(*(const volatile typeof(x) *)&(x))

/* Written by user space before load. */
const volatile __u16 targ_family = 0;
const volatile __u32 targ_nports = 0;
const volatile __u16 targ_ports[TT_MAX_PORTS] = {};
/* a quarter of the ring buffer at most (user/skel_common.h), so a small one still wakes the reader */
const volatile __u64 wakeup_bytes = TT_WAKEUP_BYTES;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TT_RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

static __always_inline bool port_wanted(__u16 sport, __u16 dport)
{
	__u32 i;

	if (!targ_nports)
		return true;
	for (i = 0; i < TT_MAX_PORTS; i++) {
		if (i >= targ_nports)
			break;
		if (targ_ports[i] == sport || targ_ports[i] == dport)
			return true;
	}
	return false;
}

/* A record on the ring buffer, or NULL when it is full: the loss is counted. */
static __always_inline void *reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		count(TT_CNT_RB_FULL);
	return e;
}

/*
 * Wake the reader only when the queue crosses wakeup_bytes: under a
 * connection storm a wake-up per fact costs the traced workload more than the
 * fact itself (each is an irq_work, a self-IPI: an MSR write that a
 * hypervisor traps).  Only the record that crosses the mark forces one, not
 * every record after it while the reader catches up.  Records racing on two
 * CPUs can both miss the mark; the reader polls every TT_POLL_MS anyway.
 */
static __always_inline void submit(void *e, __u64 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;

	/* avail counts this record (reserved, not yet committed), header included */
	if (avail >= wakeup_bytes && avail < wakeup_bytes + size + 8)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

#endif /* TT_COMMON_BPF_H */
