/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the kernels tcptrack runs on differ, one helper per difference, each
 * naming the upstream change it copes with (as libbpf-tools' core_fixes.bpf.h
 * does).  None tests a version: each works before and after its change.
 */
#ifndef TT_COMPAT_BPF_H
#define TT_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/*
 * The socket inet_csk_accept() returned, in an fexit program.  Linux 6.10
 * took the function from four arguments to two, 92ef0fd55ac8 ("net: change
 * proto and proto_ops accept type"), which broke fexit programs that read the
 * return value from a fixed slot of ctx; bpf_get_func_ret() finds it for any
 * argument count.
 */
static __always_inline const struct sock *accept_fexit_ret(__u64 *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return (const struct sock *)ret;
}

/*
 * The full TCP socket a tcp_send_reset or tcp_retransmit_skb tracepoint was
 * given, or NULL.  Since 19822a980e19 ("trace: tcp: fully support
 * trace_tcp_send_reset", 6.10) tcp_send_reset also fires for resets sent
 * without a socket, with @sk NULL, and since 838a10bd2ebf ("bpf: Augment
 * raw_tp arguments with PTR_MAYBE_NULL", 6.13) the verifier requires that
 * check.  The programs declare only @sk, so the reason argument that
 * b533fb9cf4f7 ("rstreason: make it work in trace world", 6.10) added after
 * it does not matter.
 */
static __always_inline const struct tcp_sock *tp_btf_tcp_sock(const struct sock *sk)
{
	return sk ? bpf_skc_to_tcp_sock((void *)sk) : NULL;
}

/*
 * A SYN_RECV -> CLOSE is a child socket that never became a connection: of
 * two CPUs that each cloned a child for the same final ACK, the loser drops
 * its own (met on 6.1, docs/kernels.md), or a Fast Open child was reset
 * before its final ACK.  No upstream change to name: it is handled alike on
 * every kernel.
 */
static __always_inline bool child_never_connected(int oldstate)
{
	return oldstate == TCP_SYN_RECV;
}

#endif /* TT_COMPAT_BPF_H */
