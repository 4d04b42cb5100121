/* SPDX-License-Identifier: GPL-2.0 */
/* The wire view's lifecycle: interfaces, TC (tcx or clsact) and XDP attach, link events. */
#ifndef TT_WIRE_H
#define TT_WIRE_H

#include <net/if.h>
#include "tt.h"

struct wire_bpf;
struct xdp_program;
struct nl_sock;

struct tt_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	bool gone;			/* deleted while we traced it */
	int tcx_fd[2];			/* tcx links (ingress, egress); -1: none */
	bool tc_filter[2];		/* our cls_bpf filters (netlink path) */
	bool created_clsact;		/* the clsact qdisc is ours to remove */
	struct xdp_program *xdp;
	int xdp_mode;			/* enum xdp_attach_mode */
};

struct tt_wire {
	struct wire_bpf *skel;
	struct tt_iface ifaces[TT_MAX_IFACES];
	int n;
	const char *tc_path;		/* "tcx" or "clsact" */
	struct nl_sock *links;		/* RTNLGRP_LINK notifications */
};

/* Resolves the names in @cfg (exit 2 on failure: returns -ENODEV with @err naming it). */
int tt_wire_resolve(struct tt_wire *w, const struct tt_config *cfg, char *err, size_t len);
/* Loads and attaches; the socket view's ring buffer and counters are shared. */
int tt_wire_start(struct tt_wire *w, const struct tt_config *cfg, int events_fd, int counters_fd,
		  char *err, size_t len);
/* Reads pending link notifications; reports interfaces that went away. */
void tt_wire_poll_links(struct tt_wire *w);
/* Adds the addresses (prefixes) of the attached interfaces to @out; returns the count. */
int tt_wire_prefixes(const struct tt_wire *w, struct tt_prefix *out, int max);
const char *tt_wire_ifname(const struct tt_wire *w, int ifindex);
/* Flows in the kernel's table now (a walk of up to TT_MAX_FLOWS keys); -1 without the wire view. */
long tt_wire_live_flows(const struct tt_wire *w);
void tt_wire_stop(struct tt_wire *w);

#endif
