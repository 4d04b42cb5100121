// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching the wire view like a guest.
 *
 * TC: a tcx link per direction where the kernel has tcx (6.6+); the kernel
 * detaches it when tcptrack dies.  Otherwise clsact + cls_bpf through
 * libbpf's netlink API: only our own filter (fixed handle and priority) is
 * removed at exit, and the clsact qdisc only if we created it.
 * XDP (--xdp): through libxdp, for ingress only; egress stays on TC.
 * Interfaces are looked up and watched with libnl-route.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <xdp/libxdp.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/cache.h>
#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include "wire.h"
#include "skel_common.h"
#include "wire.skel.h"
#include "wire_noxchg.skel.h"

/* Debian 12's uapi headers predate tcx (Linux 6.6). */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

/* Our cls_bpf filter on the netlink path: found again (and replaced) by these. */
#define TT_TC_HANDLE	0x7cc7
#define TT_TC_PRIO	0xc7c7

int tt_wire_resolve(struct tt_wire *w, const struct tt_config *cfg, char *err, size_t len)
{
	struct nl_sock *sk;
	int ret = 0;

	memset(w, 0, sizeof(*w));
	if (!cfg->nifaces)
		return 0;
	sk = nl_socket_alloc();
	if (!sk)
		return tt_errf(err, len, -ENOMEM, "out of memory");
	if (nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		return tt_errf(err, len, -EIO, "cannot open a netlink socket for interface lookup");
	}
	for (int i = 0; i < cfg->nifaces; i++) {
		struct tt_iface *ifc = &w->ifaces[w->n];
		struct rtnl_link *link = NULL;

		if (rtnl_link_get_kernel(sk, 0, cfg->ifaces[i], &link) < 0) {
			ret = tt_errf(err, len, -ENODEV, "unknown interface '%s' (--iface)",
				   cfg->ifaces[i]);
			break;
		}
		snprintf(ifc->name, sizeof(ifc->name), "%s", cfg->ifaces[i]);
		ifc->ifindex = rtnl_link_get_ifindex(link);
		ifc->tcx_fd[0] = ifc->tcx_fd[1] = -1;
		rtnl_link_put(link);
		for (int j = 0; j < w->n; j++)
			if (w->ifaces[j].ifindex == ifc->ifindex)
				ifc->ifindex = 0;	/* named twice: attach once */
		if (ifc->ifindex)
			w->n++;
	}
	nl_socket_free(sk);
	return ret;
}

const char *tt_wire_ifname(const struct tt_wire *w, int ifindex)
{
	for (int i = 0; i < w->n; i++)
		if (w->ifaces[i].ifindex == ifindex)
			return w->ifaces[i].name;
	return NULL;
}

static int attach_tcx(struct tt_iface *ifc, int dir, int prog_fd)
{
	int fd = bpf_link_create(prog_fd, ifc->ifindex,
				 dir ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, NULL);

	if (fd < 0)
		return -errno;
	ifc->tcx_fd[dir] = fd;
	return 0;
}

/*
 * A clsact qdisc we create is ours to remove, also when a tcptrack that
 * created it was SIGKILLed: a marker per (netns, ifindex) in /run/tcptrack
 * remembers it for the next start.
 */
#define TT_RUNDIR "/run/tcptrack"

static void marker_path(const struct tt_iface *ifc, char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	snprintf(buf, len, TT_RUNDIR "/clsact.%lu.%d", (unsigned long)st.st_ino, ifc->ifindex);
}

static void marker_set(const struct tt_iface *ifc, bool on)
{
	char path[128];
	int fd;

	marker_path(ifc, path, sizeof(path));
	if (!on) {
		unlink(path);
		rmdir(TT_RUNDIR);	/* only once empty */
		return;
	}
	mkdir(TT_RUNDIR, 0700);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

static bool marker_exists(const struct tt_iface *ifc)
{
	char path[128];

	marker_path(ifc, path, sizeof(path));
	return !access(path, F_OK);
}

static int attach_netlink(struct tt_iface *ifc, int dir, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
			    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	/* REPLACE: a filter left by a tcptrack that was SIGKILLed is taken over */
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TT_TC_HANDLE, .priority = TT_TC_PRIO,
			    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret == 0) {
		ifc->created_clsact = true;
		marker_set(ifc, true);
	} else if (ret == -EEXIST) {
		/* created by a tcptrack that did not get to remove it */
		if (!ifc->created_clsact && marker_exists(ifc)) {
			tt_info("reclaiming the clsact qdisc a previous tcptrack left on %s",
				ifc->name);
			ifc->created_clsact = true;
		}
	} else {
		return ret;
	}
	ret = bpf_tc_attach(&hook, &opts);
	if (ret)
		return ret;
	ifc->tc_filter[dir] = true;
	return 0;
}

static void detach_iface(struct tt_iface *ifc)
{
	for (int dir = 0; dir < 2; dir++) {
		if (ifc->tcx_fd[dir] >= 0) {
			close(ifc->tcx_fd[dir]);
			ifc->tcx_fd[dir] = -1;
		}
		if (ifc->tc_filter[dir] && !ifc->gone) {
			DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
					    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
			DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TT_TC_HANDLE,
					    .priority = TT_TC_PRIO);

			bpf_tc_detach(&hook, &opts);
		}
		ifc->tc_filter[dir] = false;
	}
	if (ifc->created_clsact && !ifc->gone) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
				    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

		bpf_tc_hook_destroy(&hook);
	}
	if (ifc->created_clsact)
		marker_set(ifc, false);
	ifc->created_clsact = false;
	if (ifc->xdp) {
		if (!ifc->gone)
			xdp_program__detach(ifc->xdp, ifc->ifindex, ifc->xdp_mode, 0);
		xdp_program__close(ifc->xdp);
		ifc->xdp = NULL;
	}
}

static int attach_tc(struct tt_wire *w, struct tt_iface *ifc, int dir, enum tt_tc_pref pref,
		     char *err, size_t len)
{
	int prog_fd = bpf_program__fd(dir ? w->skel->progs.tt_tc_egress
					  : w->skel->progs.tt_tc_ingress);
	const char *where = dir ? "egress" : "ingress";
	int ret;

	/* the first attach decides the path for all: probe tcx by trying it */
	if (!w->tc_path) {
		if (pref == TT_TC_NETLINK) {
			w->tc_path = "clsact";
		} else {
			ret = attach_tcx(ifc, dir, prog_fd);
			if (!ret) {
				w->tc_path = "tcx";
				return 0;
			}
			if (pref == TT_TC_TCX)
				return tt_errf(err, len, ret, "attach tcx %s on %s: %s", where,
					    ifc->name, strerror(-ret));
			tt_info("tcx unavailable (%s): using clsact and cls_bpf through netlink",
				strerror(-ret));
			w->tc_path = "clsact";
		}
	}
	if (!strcmp(w->tc_path, "tcx"))
		ret = attach_tcx(ifc, dir, prog_fd);
	else
		ret = attach_netlink(ifc, dir, prog_fd);
	if (ret)
		return tt_errf(err, len, ret, "attach tc %s on %s (%s): %s", where, ifc->name,
			    w->tc_path, strerror(-ret));
	return 0;
}

static int attach_xdp(struct tt_wire *w, struct tt_iface *ifc, enum tt_xdp_pref pref,
		      char *err, size_t len)
{
	enum xdp_attach_mode mode = pref == TT_XDP_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	int ret;

	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifc->ifindex);

	/* legacy XDP outlives a SIGKILLed tcptrack: take our own program back off */
	if (!libxdp_get_error(mp) && mp) {
		struct xdp_program *main = xdp_multiprog__main_prog(mp);

		if (main && !strcmp(xdp_program__name(main), "tt_xdp_ingress")) {
			tt_info("removing the XDP program a previous tcptrack left on %s",
				ifc->name);
			xdp_multiprog__detach(mp);
		}
		xdp_multiprog__close(mp);
	}
	ifc->xdp = xdp_program__from_fd(bpf_program__fd(w->skel->progs.tt_xdp_ingress));
	ret = libxdp_get_error(ifc->xdp);
	if (ret) {
		ifc->xdp = NULL;
		return tt_errf(err, len, ret, "prepare XDP program: %s", strerror(-ret));
	}
	ret = xdp_program__attach(ifc->xdp, ifc->ifindex, mode, 0);
	if (ret) {
		xdp_program__close(ifc->xdp);
		ifc->xdp = NULL;
		return tt_errf(err, len, ret, "attach XDP (%s) on %s: %s",
			    mode == XDP_MODE_SKB ? "skb" : "native", ifc->name, strerror(-ret));
	}
	ifc->xdp_mode = mode;
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if ((level == LIBXDP_DEBUG && tt_verbosity < 2) || tt_verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int on_link_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nh = nlmsg_hdr(msg);
	struct tt_wire *w = arg;
	struct ifinfomsg *ifi;

	if (nh->nlmsg_type != RTM_DELLINK || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(nh);
	for (int i = 0; i < w->n; i++) {
		struct tt_iface *ifc = &w->ifaces[i];

		if (ifc->ifindex != ifi->ifi_index || ifc->gone)
			continue;
		ifc->gone = true;
		/* the kernel took our programs off with the device */
		fprintf(stderr, "tcptrack: interface %s disappeared; its wire view ends, tracing goes on\n",
			ifc->name);
	}
	return NL_OK;
}

static void watch_links(struct tt_wire *w)
{
	w->links = nl_socket_alloc();
	if (!w->links)
		return;
	nl_socket_disable_seq_check(w->links);
	nl_socket_modify_cb(w->links, NL_CB_VALID, NL_CB_CUSTOM, on_link_msg, w);
	if (nl_connect(w->links, NETLINK_ROUTE) ||
	    nl_socket_add_membership(w->links, RTNLGRP_LINK) ||
	    nl_socket_set_nonblocking(w->links)) {
		tt_info("cannot watch interfaces: a deleted interface will not be reported");
		nl_socket_free(w->links);
		w->links = NULL;
	}
}

void tt_wire_poll_links(struct tt_wire *w)
{
	if (!w->links)
		return;
	while (nl_recvmsgs_default(w->links) >= 0)
		;
}

/*
 * Opens, configures and loads the wire programs into w->skel.  @no_cmpxchg
 * takes the same programs built with -DTT_NO_CMPXCHG (kern/compat.bpf.h):
 * kernels before 5.12 refuse the whole object for one such instruction, even
 * in a branch never taken, so the choice is between two objects.  Both come
 * from one source, so one skeleton serves both.
 */
static int load_wire(struct tt_wire *w, const struct tt_config *cfg, bool no_cmpxchg,
		     int events_fd, int counters_fd, char *err, size_t len)
{
	struct wire_bpf *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return tt_errf(err, len, -ENOMEM, "open wire BPF object: %s", strerror(ENOMEM));
	ret = wire_bpf__create_skeleton(s);
	if (!ret && no_cmpxchg)
		s->skeleton->data = wire_noxchg_bpf__elf_bytes(&s->skeleton->data_sz);
	if (!ret)
		ret = bpf_object__open_skeleton(s->skeleton, NULL);
	if (ret) {
		wire_bpf__destroy(s);
		return tt_errf(err, len, ret, "open wire BPF object: %s", strerror(-ret));
	}
	w->skel = s;
	/* the ring's size as the socket view's, whose map it reuses */
	TT_SKEL_SET_COMMON(s, cfg);
	bpf_program__set_autoload(s->progs.tt_xdp_ingress, cfg->xdp != TT_XDP_OFF);
	/* one ring buffer and one set of counters for both views */
	if (bpf_map__reuse_fd(s->maps.events, events_fd) ||
	    bpf_map__reuse_fd(s->maps.counters, counters_fd))
		ret = tt_errf(err, len, -errno, "share maps with the wire view: %s",
			      strerror(errno));
	else if ((ret = wire_bpf__load(s)))
		ret = tt_errf(err, len, ret,
			      "load wire BPF programs: %s (run with -v for libbpf's log)",
			      strerror(-ret));
	if (ret) {
		wire_bpf__destroy(s);
		w->skel = NULL;
	}
	return ret;
}

int tt_wire_start(struct tt_wire *w, const struct tt_config *cfg, int events_fd, int counters_fd,
		  char *err, size_t len)
{
	int ret;

	if (!w->n)
		return 0;
	libxdp_set_print(libxdp_print);
	ret = load_wire(w, cfg, false, events_fd, counters_fd, err, len);
	if (ret == -EINVAL) {
		tt_info("wire programs refused (%s): trying them without atomic compare-and-exchange (Linux 5.12)",
			err);
		ret = load_wire(w, cfg, true, events_fd, counters_fd, err, len);
		if (!ret)
			tt_info("wire programs without compare-and-exchange: stale handshake counts are reset by a plain store");
	}
	if (ret)
		goto out;
	for (int i = 0; i < w->n; i++) {
		struct tt_iface *ifc = &w->ifaces[i];

		if (cfg->xdp != TT_XDP_OFF)
			ret = attach_xdp(w, ifc, cfg->xdp, err, len);
		else
			ret = attach_tc(w, ifc, 0, cfg->tc_attach, err, len);
		if (!ret)
			ret = attach_tc(w, ifc, 1, cfg->tc_attach, err, len);
		if (ret)
			goto out;
		tt_info("wire view on %s (ifindex %d): %s ingress, %s egress", ifc->name,
			ifc->ifindex, cfg->xdp != TT_XDP_OFF ? "xdp" : w->tc_path, w->tc_path);
	}
	watch_links(w);
	return 0;
out:
	tt_wire_stop(w);
	return ret;
}

int tt_wire_prefixes(const struct tt_wire *w, struct tt_prefix *out, int max)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	struct nl_sock *sk;
	int n = 0;

	if (!w->n)
		return 0;
	sk = nl_socket_alloc();
	if (!sk)
		return 0;
	if (nl_connect(sk, NETLINK_ROUTE) || rtnl_addr_alloc_cache(sk, &cache) < 0) {
		nl_socket_free(sk);
		return 0;
	}
	for (o = nl_cache_get_first(cache); o && n < max; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (!local || !tt_wire_ifname(w, rtnl_addr_get_ifindex(a)))
			continue;
		if (nl_addr_get_len(local) > 16)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = nl_addr_get_family(local);
		out[n].len = rtnl_addr_get_prefixlen(a);
		memcpy(out[n].addr, nl_addr_get_binary_addr(local), nl_addr_get_len(local));
		n++;
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return n;
}

long tt_wire_live_flows(const struct tt_wire *w)
{
	struct tt_flow_key k, next;
	void *prev = NULL;
	long n = 0;

	if (!w->skel)
		return -1;
	while (!bpf_map_get_next_key(bpf_map__fd(w->skel->maps.flows), prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

void tt_wire_stop(struct tt_wire *w)
{
	for (int i = 0; i < w->n; i++)
		detach_iface(&w->ifaces[i]);
	if (w->links) {
		nl_socket_free(w->links);
		w->links = NULL;
	}
	wire_bpf__destroy(w->skel);
	w->skel = NULL;
}
