/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A connect() that failed before any SYN left (no route): the socket never
 * changes state, so the failure is taken from connect()'s return.
 */
#ifndef TT_CONNECT_BPF_H
#define TT_CONNECT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "tcptrack.h"
#include "common.bpf.h"
#include "compat.bpf.h"
#include "event.bpf.h"
#include "net.h"
#include "sock.bpf.h"

/* Where a failed connect() was going: the socket has no peer address yet. */
struct connect_dst {
	__u64 start_ns;
	__u16 family;
	__u16 dport;		/* host order */
	__u8 daddr[16];
};

/* Reads the destination connect() asked for; @user: a user-space pointer. */
static __always_inline int read_sockaddr(struct connect_dst *c, const void *addr, bool user)
{
	struct sockaddr_in6 sa6;
	struct sockaddr_in sa4;
	long (*rd)(void *, __u32, const void *) = user ? bpf_probe_read_user
						       : bpf_probe_read_kernel;

	if (rd(&c->family, sizeof(c->family), addr))
		return -1;
	if (c->family == AF_INET) {
		if (rd(&sa4, sizeof(sa4), addr))
			return -1;
		c->dport = bpf_ntohs(sa4.sin_port);
		__builtin_memcpy(c->daddr, &sa4.sin_addr, 4);
	} else if (c->family == AF_INET6) {
		if (rd(&sa6, sizeof(sa6), addr))
			return -1;
		c->dport = bpf_ntohs(sa6.sin6_port);
		__builtin_memcpy(c->daddr, &sa6.sin6_addr, 16);
	} else {
		return -1;
	}
	return 0;
}

/*
 * A connect() that failed before a SYN left: no route to the destination.
 * @sk is a TCP socket: the syscall's exit checks, tcp_v{4,6}_connect() is one.
 */
static __always_inline void emit_connect_err(const struct sock *sk, const struct connect_dst *c,
					     long err)
{
	struct tt_event *e;

	if (!sk)
		return;
	e = reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	SK_TUPLE(e, (const struct tcp_sock *)sk, SK_PROBE);
	/* The socket has no peer yet: the destination is what connect() asked for. */
	e->family = c->family;
	e->dport = c->dport;
	__builtin_memcpy(e->daddr, c->daddr, 16);
	if (!ev_keep(e))
		return;
	e->ts_ns = bpf_ktime_get_ns();
	e->start_ns = c->start_ns;
	e->fact = TT_FACT_CONNECT_ERR;
	e->err = err;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->flags = TT_F_OWNER_KNOWN | TT_F_STARTED;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	submit(e, sizeof(*e));
}

/* sys_exit_connect returned @ret: the fd and the address are in the saved registers. */
static __always_inline void on_exit_connect(long ret)
{
	struct connect_dst c = {};
	const struct sock *sk;
	struct pt_regs *regs;
	__u64 uaddr;

	if (ret != -ENETUNREACH && ret != -EHOSTUNREACH)
		return;
	regs = current_syscall_regs();
	if (!regs)
		return;
	sk = fd_to_sk(PT_REGS_PARM1_CORE_SYSCALL(regs));
	if (!sk)
		return;
	/*
	 * A SYN left and an ICMP error ended the attempt: its SYN_SENT ->
	 * CLOSE already carried the error, as UNREACH.  connect() resets most
	 * of the socket on its way out (tcp_disconnect()), but moves its send
	 * sequence on, never to 0; a socket that no SYN left yet still has 0
	 * there.  This holds for a port the application bound too.  (A second
	 * connect() on a socket whose first one failed after its SYN, which
	 * few programs do, is not reported here if it finds no route.)
	 */
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP ||
	    BPF_CORE_READ((struct tcp_sock *)sk, write_seq))
		return;
	uaddr = PT_REGS_PARM2_CORE_SYSCALL(regs);
	if (read_sockaddr(&c, (const void *)uaddr, true))
		return;
	c.start_ns = bpf_ktime_get_ns();
	emit_connect_err(sk, &c, -ret);
}

/*
 * With fexit, the same failure is seen at tcp_v{4,6}_connect()'s return, so
 * no syscall tracepoint is needed: those slow every syscall on the host.  A
 * route failure returns before the socket enters SYN_SENT; a later ICMP
 * error reaches the socket as sk_err instead.
 */
static __always_inline void on_connect_ret(__u64 *ctx)
{
	struct connect_dst c = {};
	/* tcp_v{4,6}_connect(sk, uaddr, addr_len) */
	int err = -(int)fexit_ret(ctx, 3);
	__u64 sk, uaddr;

	if (err != ENETUNREACH && err != EHOSTUNREACH)
		return;
	sk = fexit_arg(ctx, 0);
	uaddr = fexit_arg(ctx, 1);
	/* the sockaddr was copied into the kernel by connect() */
	if (read_sockaddr(&c, (const void *)uaddr, false))
		return;
	c.start_ns = bpf_ktime_get_ns();
	emit_connect_err((const struct sock *)sk, &c, err);
}

#endif /* TT_CONNECT_BPF_H */
