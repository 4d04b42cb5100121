// SPDX-License-Identifier: GPL-2.0
/*
 * Socket view: TCP state changes, accepts and connect() failures, reported as
 * facts on a ring buffer.  Classification happens in user/classify.c.  This
 * file is the list of hooks; what each does is in the header it calls.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tcptrack.h"
#include "common.bpf.h"
#include "compat.bpf.h"
#include "config.bpf.h"
#include "event.bpf.h"
#include "sock.bpf.h"
#include "set_state.bpf.h"
#include "accept.bpf.h"
#include "connect.bpf.h"

/* Every TCP state change; the twin runs the changes the kernel skipped (note_change()). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tt_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	note_change(sk, newstate);
	return set_state(sk, oldstate, newstate);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tt_set_state_twin, const struct sock *sk, const int oldstate, const int newstate)
{
	if (!change_skipped(sk, newstate))
		return 0;
	/* user space subtracts these from tt_set_state's skipped runs */
	count(TT_CNT_STATE_RESCUED);
	return set_state(sk, oldstate, newstate);
}

/*
 * Resets this host sends.  An abort (close() with unread data, SO_LINGER 0)
 * moves the socket to CLOSE *before* the RST leaves, so user space pairs the
 * two facts by tuple.
 */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tt_send_reset, const struct sock *sk)
{
	/* Only full sockets of a connection: not listeners, request or timewait socks. */
	const struct tcp_sock *tp = tp_btf_tcp_sock(sk);
	int state;

	if (!tp)
		return 0;
	state = tp->SKC(skc_state);
	if (state == TCP_LISTEN || state == TCP_SYN_SENT)
		return 0;
	emit_sock(tp, SK_LOAD, TT_FACT_RST_SENT, state, NULL, TT_ACCEPT_NONE, 0,
		  bpf_ktime_get_ns());
	return 0;
}

/* A SYN sent again: lets the joiner name the process behind a wire TIMEOUT. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tt_retransmit, const struct sock *sk)
{
	const struct tcp_sock *tp;

	if (!wire_join)
		return 0;
	tp = tp_btf_tcp_sock(sk);
	if (!tp || tp->SKC(skc_state) != TCP_SYN_SENT)
		return 0;
	emit_sock(tp, SK_LOAD, TT_FACT_SYN_RETRY, TCP_SYN_SENT, sock_get(sock_key(sk)),
		  TT_ACCEPT_NONE, 0, bpf_ktime_get_ns());
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tt_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret >= 0)
		on_accepted(fd_to_sk(ctx->ret), TT_ACCEPT_SYSCALL);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tt_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret >= 0)
		on_accepted(fd_to_sk(ctx->ret), TT_ACCEPT_SYSCALL);
	return 0;
}

/* Richer variants, chosen by user space when the running kernel allows them. */
SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(tt_accept_kretprobe, struct sock *sk)
{
	on_accepted(sk, TT_ACCEPT_KRETPROBE);
	return 0;
}

SEC("fexit/inet_csk_accept")
int tt_accept_fexit(__u64 *ctx)
{
	on_accepted(accept_fexit_ret(ctx), TT_ACCEPT_FEXIT);
	return 0;
}

/*
 * connect() returned a route failure.  Only the exit is hooked: its fd and
 * address are still in the syscall's saved registers, and a probe on every
 * connect() entry would cost every connection for an error that is rare.
 */
SEC("tracepoint/syscalls/sys_exit_connect")
int tt_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	on_exit_connect(ctx->ret);
	return 0;
}

/* The same failure at tcp_v{4,6}_connect()'s return: with fexit, no syscall tracepoint. */
SEC("fexit/tcp_v4_connect")
int tt_connect4_fexit(__u64 *ctx)
{
	on_connect_ret(ctx);
	return 0;
}

SEC("fexit/tcp_v6_connect")
int tt_connect6_fexit(__u64 *ctx)
{
	on_connect_ret(ctx);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
