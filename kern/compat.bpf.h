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
#include <bpf/bpf_core_read.h>

/* whether the running kernel has helper @name (BPF_FUNC_@name), resolved by libbpf at load */
#define HAVE_HELPER(name) bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_##name)

/*
 * The socket inet_csk_accept() returned, in an fexit program.  Linux 6.10
 * took the function from four arguments to two, 92ef0fd55ac8 ("net: change
 * proto and proto_ops accept type"), which broke fexit programs that read the
 * return value from a fixed slot of ctx; bpf_get_func_ret() finds it for any
 * argument count.  Before that helper, f92c1e183604 ("bpf: Add
 * get_func_[arg|ret|arg_cnt] helpers", 5.17), the slot follows the four
 * arguments, and struct proto_accept_arg, which came with the change, is absent.
 */
static __always_inline const struct sock *accept_fexit_ret(__u64 *ctx)
{
	__u64 ret = 0;

	if (HAVE_HELPER(get_func_ret))
		bpf_get_func_ret(ctx, &ret);
	else if (!bpf_core_type_exists(struct proto_accept_arg))
		ret = ctx[4];
	/* keeps clang from sinking both reads into one through a merged pointer */
	barrier_var(ret);
	return (const struct sock *)ret;
}

/*
 * Argument @n of a function whose arguments never changed, in an fexit
 * program: bpf_get_func_arg() (5.17, f92c1e183604) where the kernel has it,
 * the fixed slot of ctx before.
 */
static __always_inline __u64 fexit_arg(__u64 *ctx, __u32 n)
{
	__u64 v = 0;

	if (HAVE_HELPER(get_func_arg))
		bpf_get_func_arg(ctx, n, &v);
	else
		v = ctx[n];
	barrier_var(v);	/* one read per branch: the verifier refuses a moved ctx pointer */
	return v;
}

/*
 * The return value of such a function with @nargs arguments: bpf_get_func_ret()
 * (5.17, f92c1e183604), or the slot after the arguments before.
 */
static __always_inline __u64 fexit_ret(__u64 *ctx, __u32 nargs)
{
	__u64 v = 0;

	if (HAVE_HELPER(get_func_ret))
		bpf_get_func_ret(ctx, &v);
	else
		v = ctx[nargs];
	barrier_var(v);	/* one read per branch: the verifier refuses a moved ctx pointer */
	return v;
}

/*
 * The current task's open files.  bpf_get_current_task_btf(), 3ca1032ab7ab
 * ("bpf: Add bpf_get_current_task_btf() helper", 5.11), gives a typed task
 * read with plain loads; before it, bpf_get_current_task() gives an untyped
 * one, read with probe reads.  The caller reads the table with probe reads.
 */
static __always_inline struct fdtable *current_fdtable(void)
{
	if (HAVE_HELPER(get_current_task_btf))
		return bpf_get_current_task_btf()->files->fdt;
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), files, fdt);
}

/*
 * The current task's saved user registers, at a syscall's exit, for probe
 * reads.  bpf_task_pt_regs(), dd6e10fbd9fb ("bpf: Add bpf_task_pt_regs()
 * helper", 5.15), where the kernel has it; before, x86-64's task_pt_regs():
 * the registers sit at the top of the task's 16 KiB stack (THREAD_SIZE
 * without KASAN, no padding on 64 bits).  NULL elsewhere: the caller reports nothing.
 */
static __always_inline struct pt_regs *current_syscall_regs(void)
{
	if (HAVE_HELPER(task_pt_regs))
		return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
#if defined(__TARGET_ARCH_x86)
	char *stack = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), stack);

	return (struct pt_regs *)(stack + 16384) - 1;
#else
	return NULL;
#endif
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

/*
 * Sets *@p to 0 if it still holds @seen.  Atomic compare-and-exchange came
 * with 5ffa25502b5a ("bpf: Add instructions for atomic_[cmp]xchg", 5.12);
 * older kernels refuse a whole object that holds one, so the wire programs
 * are built a second time with TT_NO_CMPXCHG (user/wire.c tries both).
 * There a plain store may erase a count added between the read and the store.
 */
static __always_inline void reset_if_unchanged(__s64 *p, __s64 seen)
{
#ifdef TT_NO_CMPXCHG
	*(volatile __s64 *)p = 0;
#else
	__sync_val_compare_and_swap(p, seen, 0);
#endif
}

#endif /* TT_COMPAT_BPF_H */
