/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcptrack's Prometheus metrics: what the rows, the footer's gauges and the
 * kernel's loss counters add up to, rendered at scrape time in the text
 * format (docs/metrics.md lists each metric and what it counts).  Plain C,
 * no libbpf: tested without root.
 */
#ifndef TT_METRICS_H
#define TT_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "buf.h"
#include "mlabels.h"
#include "netaddr.h"
#include "tt.h"

/* The optional labels of --metrics-labels, in their order on a sample. */
enum tt_mlabel_kind {
	TT_ML_PORT,		/* the service port: the responder's, never an ephemeral one */
	TT_ML_COMM,		/* the process name, "-" when unknown */
	TT_ML_IFACE,		/* the interface the wire view saw it on, "-" when none */
	TT_ML_NETNS,		/* the network namespace inode, "-" when unknown */
	TT_ML_REMOTE_NET,	/* the longest --metrics-nets prefix holding the peer, else "other" */
	TT_ML_N,
};

#define TT_METRICS_DEFAULT_MAX_VALUES	100
#define TT_METRICS_MAX_IFNAMES		16
/*
 * Label combinations (each a set of series) are capped at this many per
 * value a label may keep: with one label every value has its own, with
 * several the product is not reached in practice and memory stays bounded.
 */
#define TT_METRICS_CELLS_PER_VALUE	4

/*
 * Handshake histogram bounds in seconds.  Linux sends a SYN again 1, 3 and
 * 7 s after the first (initial RTO 1 s, doubling), so a handshake that
 * needed 2, 3 or 4 SYNs ends just after 1, 3 or 7 s: the bounds at 1, 3 and
 * 7 s separate them from the handshakes with one SYN less whatever their
 * RTT (below the 1 s between), and those at 1.5, 3.5 and 7.5 s keep the
 * quantiles of retried handshakes close to the truth when their RTT is
 * below 0.5 s.  Below 1 s: 100 us (loopback, a LAN) to 0.5 s (far away).
 */
#define TT_HS_NBOUNDS	18
extern const double tt_hs_bounds[TT_HS_NBOUNDS];

enum tt_hview { TT_HVIEW_SOCK, TT_HVIEW_WIRE, TT_HVIEW_N };

struct tt_hist {
	uint64_t counts[TT_HS_NBOUNDS + 1];	/* per bucket; the last above every bound */
	double sum;				/* seconds */
};

struct tt_metrics_config {
	unsigned int labels;		/* bit mask of 1 << enum tt_mlabel_kind */
	unsigned int max_values;	/* per label; 0: TT_METRICS_DEFAULT_MAX_VALUES */
	struct tt_prefix nets[TT_METRICS_MAX_NETS];	/* --metrics-nets, for remote_net */
	int nnets;
	const char *version;		/* tcptrack_build_info's labels */
	const char *accept_hook;	/* as in the start-up line: fexit, kprobe, ... */
	const char *tc_attach;		/* "tcx", "netlink", or NULL / "" for no wire view */
	double start_time;		/* Unix time, seconds */
};

struct tt_metrics;

/* 0, -EINVAL (a bad cap) or -ENOMEM. */
int tt_metrics_new(struct tt_metrics **m, const struct tt_metrics_config *cfg);
void tt_metrics_free(struct tt_metrics *m);
/* The name the iface label shows for @ifindex (else "if<N>"); 0 or -ENOSPC. */
int tt_metrics_add_ifname(struct tt_metrics *m, int ifindex, const char *name);

/*
 * One row, as the outputs get it: counts it in tcptrack_events_total, its
 * handshake latencies (CONNECT, ACCEPT: per view) in
 * tcptrack_handshake_seconds, and the SYNs it needed beyond the first
 * (CONNECT, ACCEPT, REFUSED, TIMEOUT, UNREACH) in
 * tcptrack_syn_retransmits_total.
 */
void tt_metrics_observe_row(struct tt_metrics *m, const struct tt_row *r, enum tt_mdir dir);
/*
 * Events not seen as rows (the kernel counts connections that open and
 * close in order when no row is needed): added as if observed, without
 * latency, into the combination of all "other" values when labels are on.
 */
void tt_metrics_add_events(struct tt_metrics *m, enum tt_type type, enum tt_mdir dir,
			   int family, uint64_t n);
/* The footer's active connections, per family. */
void tt_metrics_set_active(struct tt_metrics *m, uint64_t ipv4, uint64_t ipv6);
/*
 * The kernel's totals since start: facts lost, wire flows forgotten before
 * they ended, wire packets whose headers could not be read.  A counter
 * never goes down: a total below the last one is ignored.
 */
void tt_metrics_set_losses(struct tt_metrics *m, uint64_t lost, uint64_t evicted,
			   uint64_t truncated);
/* Counts @ms (milliseconds) in its bucket of @h. */
void tt_hist_observe(struct tt_hist *h, double ms);
/* The @q quantile of @h in seconds, interpolated in its bucket; < 0 when @h is empty. */
double tt_hist_quantile(const struct tt_hist *h, double q);
/*
 * A row's value of @k for the kinds that need no metric set (port, comm,
 * netns): 0, or -EINVAL for the others.
 */
int tt_row_label(enum tt_mlabel_kind k, const struct tt_row *r, enum tt_mdir dir, char *out,
		 size_t outlen);
/* Whether a row's remote end is its key's saddr (else its daddr). */
bool tt_row_remote_is_saddr(const struct tt_row *r, enum tt_mdir dir);
/* The page, appended to @b; 0 or b->err. */
int tt_metrics_render(const struct tt_metrics *m, struct tt_buf *b);

/* "port,comm,..." into a mask of enum tt_mlabel_kind bits: 0 or -EINVAL. */
int tt_metrics_parse_labels(const char *s, unsigned int *mask);
const char *tt_mlabel_name(enum tt_mlabel_kind k);

#endif
