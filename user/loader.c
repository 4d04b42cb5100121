// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and attaching the socket view.  The accept hook is chosen by
 * trying what the running kernel offers, richest first: fexit, kretprobe,
 * then the accept()/accept4() syscall tracepoints.  Never by version number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "kfeat.h"
#include "loader.h"
#include "skel_common.h"
#include "tcptrack.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define TRACEFS "/sys/kernel/tracing"

static bool probing;	/* failures while probing hooks are expected: keep libbpf quiet */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (probing && tt_verbosity < 2)
		return 0;
	if ((level == LIBBPF_DEBUG && tt_verbosity < 2) || tt_verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool have_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* Names the first capability we lack; CAP_SYS_ADMIN stands in for BPF/PERFMON on old kernels. */
static int check_caps(const struct tt_config *cfg, char *err, size_t len)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	bool admin;

	if (syscall(SYS_capget, &h, d))
		return 0;	/* cannot tell: let the kernel decide */
	admin = have_cap(d, CAP_SYS_ADMIN);
	if (!admin && !have_cap(d, CAP_BPF))
		return tt_errf(err, len, -EPERM,
			    "missing capability CAP_BPF: run as root (see README, Privileges)");
	if (!admin && !have_cap(d, CAP_PERFMON))
		return tt_errf(err, len, -EPERM,
			    "missing capability CAP_PERFMON: run as root (see README, Privileges)");
	if (!admin)
		return tt_errf(err, len, -EPERM,
			    "missing capability CAP_SYS_ADMIN (tracefs mount, namespace walk): run as root");
	if (cfg->nifaces && !have_cap(d, CAP_NET_ADMIN))
		return tt_errf(err, len, -EPERM,
			    "missing capability CAP_NET_ADMIN (needed by --iface to attach TC/XDP programs)");
	return 0;
}

/*
 * libbpf finds classic tracepoints through tracefs.  When the host has not
 * mounted it, mount it in a mount namespace of our own (slave, so host mounts
 * still reach us and ours never reach the host): the host is left as found.
 */
static int ensure_tracefs(bool *have_syscalls, char *err, size_t len)
{
	if (!access(TRACEFS "/events", F_OK) || !access("/sys/kernel/debug/tracing/events", F_OK))
		goto found;
	if (unshare(CLONE_NEWNS))
		return tt_errf(err, len, -errno, "cannot create a mount namespace for tracefs: %s",
			    strerror(errno));
	/* source and type are ignored for a propagation change; "none" keeps checkers calm */
	if (mount("none", "/", "none", MS_REC | MS_SLAVE, NULL))
		return tt_errf(err, len, -errno, "cannot make / a slave mount: %s",
			    strerror(errno));
	if (mount("tracefs", TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return tt_errf(err, len, -errno,
			    "cannot mount tracefs on " TRACEFS ": %s (the syscall tracepoints for connect and accept need it)",
			    strerror(errno));
	tt_info("mounted tracefs on " TRACEFS " in tcptrack's own mount namespace");
found:
	*have_syscalls = !access(TRACEFS "/events/syscalls/sys_exit_connect", F_OK) ||
			 !access("/sys/kernel/debug/tracing/events/syscalls/sys_exit_connect",
				 F_OK);
	if (!*have_syscalls)
		tt_info("no syscall tracepoints (CONFIG_FTRACE_SYSCALLS): no UNREACH for connect() without a route");
	return 0;
}

static void detach_all(struct tt_bpf *b)
{
	while (b->nlinks > 0)
		bpf_link__destroy(b->links[--b->nlinks]);
	tcptrack_bpf__destroy(b->skel);
	b->skel = NULL;
}

static const char *prog_desc(const struct bpf_program *p)
{
	return bpf_program__section_name(p);
}

static int attach_one(struct tt_bpf *b, struct bpf_program *p, char *err, size_t len)
{
	struct bpf_link *l = bpf_program__attach(p);

	if (!l)
		return tt_errf(err, len, -errno, "attach %s: %s", prog_desc(p), strerror(errno));
	if (b->nlinks == TT_MAX_LINKS) {
		bpf_link__destroy(l);
		return tt_errf(err, len, -E2BIG, "too many BPF links");
	}
	b->links[b->nlinks++] = l;
	tt_info("attached %s", prog_desc(p));
	return 0;
}

static int try_variant(struct tt_bpf *b, const struct tt_config *cfg, enum tt_hook_pref v,
		       bool syscalls, char *err, size_t len)
{
	struct tcptrack_bpf *s;
	struct bpf_program *p;
	int ret;

	s = tcptrack_bpf__open();
	if (!s)
		return tt_errf(err, len, -errno, "open BPF object: %s", strerror(errno));
	b->skel = s;

	TT_SKEL_SET_COMMON(s, cfg);
	s->rodata->targ_netns = cfg->netns;
	s->rodata->wire_join = cfg->nifaces > 0;
	s->rodata->accept_by_listener = v == TT_HOOK_LISTENER;
	/*
	 * the summary needs no rows when no row is filtered by process; the
	 * metrics and --by do, for the family, direction and keys of every event
	 */
	s->rodata->count_only = cfg->summary_only && !cfg->npids && !cfg->comm[0] &&
				!cfg->nifaces && !cfg->metrics[0] && !cfg->by;

	bpf_program__set_autoload(s->progs.tt_retransmit, cfg->nifaces > 0);
	bpf_program__set_autoload(s->progs.tt_accept_fexit, v == TT_HOOK_FEXIT);
	bpf_program__set_autoload(s->progs.tt_accept_kretprobe, v == TT_HOOK_KPROBE);
	bpf_program__set_autoload(s->progs.tt_exit_accept4, v == TT_HOOK_SYSCALL);
	bpf_program__set_autoload(s->progs.tt_exit_accept, v == TT_HOOK_SYSCALL);
	/* with fexit, connect() failures come from tcp_v{4,6}_connect: no syscall tracepoint */
	bpf_program__set_autoload(s->progs.tt_connect4_fexit, v == TT_HOOK_FEXIT);
	bpf_program__set_autoload(s->progs.tt_connect6_fexit, v == TT_HOOK_FEXIT);
	bpf_program__set_autoload(s->progs.tt_exit_connect, syscalls && v != TT_HOOK_FEXIT);

	ret = tcptrack_bpf__load(s);
	if (ret) {
		ret = tt_errf(err, len, ret, "load BPF programs: %s (run with -v for libbpf's log)",
			   strerror(-ret));
		goto out;
	}
	/*
	 * tt_set_state's twin goes last: a tracepoint calls its programs in
	 * the order they were attached, and the twin looks for the notes the
	 * first one left (kern/set_state.bpf.h).
	 */
	bpf_object__for_each_program(p, s->obj) {
		if (p == s->progs.tt_set_state_twin || !bpf_program__autoload(p))
			continue;
		ret = attach_one(b, p, err, len);
		if (ret)
			goto out;
	}
	ret = attach_one(b, s->progs.tt_set_state_twin, err, len);
	if (ret)
		goto out;
	return 0;
out:
	detach_all(b);
	return ret;
}

int tt_bpf_start(struct tt_bpf *b, const struct tt_config *cfg, char *err, size_t len)
{
	static const struct {
		enum tt_hook_pref v;
		const char *name;
	} order[] = {
		{ TT_HOOK_FEXIT, "fexit:inet_csk_accept" },
		{ TT_HOOK_KPROBE, "kretprobe:inet_csk_accept" },
		{ TT_HOOK_SYSCALL, "syscalls:sys_exit_accept{,4}" },
		{ TT_HOOK_LISTENER, "listener (handshake completion, listen() owner)" },
	};
	bool syscalls = false;
	int ret;

	memset(b, 0, sizeof(*b));
	libbpf_set_print(libbpf_print);
	ret = check_caps(cfg, err, len);
	if (ret)
		return ret;
	ret = tt_kfeat_check(err, len);
	if (ret)
		return ret;
	if (cfg->accept_hook != TT_HOOK_LISTENER) {
		ret = ensure_tracefs(&syscalls, err, len);
		if (ret)
			return ret;
	} else {
		tt_info("no syscall tracepoints: no UNREACH for connect() without a route");
	}

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		bool last;

		if (cfg->accept_hook != TT_HOOK_AUTO && cfg->accept_hook != order[i].v)
			continue;
		if (order[i].v == TT_HOOK_LISTENER && cfg->accept_hook != TT_HOOK_LISTENER)
			continue;
		if (order[i].v == TT_HOOK_SYSCALL && !syscalls)
			return tt_errf(err, len, -ENOTSUP,
				    "no accept hook: no syscall tracepoints and %s",
				    cfg->accept_hook == TT_HOOK_AUTO ? "no fexit or kprobe support"
								     : "--accept-hook syscall given");
		last = cfg->accept_hook != TT_HOOK_AUTO || order[i].v == TT_HOOK_SYSCALL ||
		       order[i].v == TT_HOOK_LISTENER;
		probing = !last;
		ret = try_variant(b, cfg, order[i].v, syscalls, err, len);
		probing = false;
		if (!ret) {
			b->accept_hook = order[i].name;
			b->syscall_tps = syscalls;
			tt_info("accept hook: %s", order[i].name);
			if (b->skel->rodata->count_only)
				tt_info("summary only: orderly connections are counted in the kernel");
			return 0;
		}
		if (last)
			return ret;
		tt_info("%s unavailable (%s); trying the next accept hook", order[i].name, err);
	}
	return tt_errf(err, len, -EINVAL, "no accept hook selected");
}

void tt_bpf_stop(struct tt_bpf *b)
{
	detach_all(b);
}

int tt_bpf_events_fd(const struct tt_bpf *b)
{
	return bpf_map__fd(b->skel->maps.events);
}

/*
 * A tracing program that fires while the same program already runs on that
 * CPU is skipped by the kernel and counted in recursion_misses: a softirq's
 * state change that interrupts a process context's one (close(), connect()).
 * tt_set_state's twin handles its skipped changes, so only those the twin
 * did not rescue are lost; any other program's skip may have been a fact.
 */
uint64_t tt_bpf_skipped(const struct tt_bpf *b, uint64_t rescued)
{
	struct bpf_program *prog;
	uint64_t n = 0, state = 0;

	bpf_object__for_each_program(prog, b->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		/* the twin skips only inside itself, where tt_set_state ran */
		if (fd < 0 || prog == b->skel->progs.tt_set_state_twin ||
		    bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		if (prog == b->skel->progs.tt_set_state)
			state = info.recursion_misses;
		else
			n += info.recursion_misses;
	}
	/* @rescued was read first: never more than the skips read after it */
	return n + (state > rescued ? state - rescued : 0);
}

int tt_bpf_counters_fd(const struct tt_bpf *b)
{
	return bpf_map__fd(b->skel->maps.counters);
}

int tt_bpf_counters(const struct tt_bpf *b, uint64_t out[TT_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < TT_CNT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.counters), &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}
