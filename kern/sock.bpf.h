/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket view's memory of sockets: the socks map (what a socket's later
 * facts need from its earlier ones), the listeners map (who listens on a
 * port, for --accept-hook listener), and finding a socket from a descriptor.
 */
#ifndef TT_SOCK_BPF_H
#define TT_SOCK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tcptrack.h"
#include "common.bpf.h"
#include "compat.bpf.h"
#include "state.h"

/* a tcp_sock's member of its sock_common, by its whole path: one CO-RE access each */
#define SKC(member)	inet_conn.icsk_inet.sk.__sk_common.member

/*
 * What a socket's later facts need from its earlier ones (owner, start and
 * handshake times, a passive socket's addresses), keyed by its address.
 * Preallocated: allocating per connection costs the traced workload more.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TT_MAX_SOCKS);
	__type(key, __u64);
	__type(value, struct tt_sock);
} socks SEC(".maps");

static __always_inline __u64 sock_key(const struct sock *sk)
{
	return (__u64)sk;
}

static __always_inline struct tt_sock *sock_get(__u64 key)
{
	return bpf_map_lookup_elem(&socks, &key);
}

/*
 * Stores @ts for @key unless an entry is there already (made on another CPU
 * since the caller looked); returns the entry, NULL (and counted) when full.
 */
static __always_inline struct tt_sock *sock_put(__u64 key, const struct tt_sock *ts)
{
	struct tt_sock *got;

	bpf_map_update_elem(&socks, &key, ts, BPF_NOEXIST);
	got = bpf_map_lookup_elem(&socks, &key);
	if (!got)
		count(TT_CNT_SOCK_FULL);
	return got;
}

/* sock_put() for callers that do not need the copy: one lookup fewer */
static __always_inline void sock_track(__u64 key, const struct tt_sock *ts)
{
	if (bpf_map_update_elem(&socks, &key, ts, BPF_ANY))
		count(TT_CNT_SOCK_FULL);
}

static __always_inline void sock_drop(__u64 key)
{
	bpf_map_delete_elem(&socks, &key);
}

struct listener_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct listener_key);
	__type(value, struct tt_sock);
} listeners SEC(".maps");

/* The listeners entry of @tp's port: a listener's own, or the one a child was cloned from. */
static __always_inline struct listener_key listener_key_of(const struct tcp_sock *tp)
{
	struct listener_key lk = {
		.netns = tp->SKC(skc_net).net->ns.inum,
		.port = tp->SKC(skc_num),
	};

	return lk;
}

/* Counts a connection that reached ESTABLISHED and that @ts tracks. */
static __always_inline void count_open(struct tt_sock *ts, __u32 counter)
{
	ts->flags |= TT_F_COUNTED;
	count(counter);
}

/* The current process owns @ts: only where the kernel runs in the owner's context. */
static __always_inline void set_owner(struct tt_sock *ts)
{
	ts->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ts->comm, sizeof(ts->comm));
	ts->flags |= TT_F_OWNER_KNOWN;
}

/* The socket behind the current process's descriptor @fd, or NULL. */
static __always_inline const struct sock *fd_to_sk(long fd)
{
	struct fdtable *fdt = current_fdtable();
	struct file **fds, *f;
	struct socket *sock;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_core_read(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

#endif /* TT_SOCK_BPF_H */
