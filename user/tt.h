/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space model shared by the classifier, the outputs and main: the
 * configuration, the row every output renders, and the statistics.
 */
#ifndef TT_H
#define TT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "tcptrack.h"

#define TT_EXIT_OK	0
#define TT_EXIT_RUNTIME	1
#define TT_EXIT_USAGE	2

#define TT_MAX_PIDS	16
#define TT_MAX_IFACES	8
#define TT_IFNAMSIZ	16
#define TT_DEFAULT_SYN_TIMEOUT	3	/* seconds; see docs/wire.md */

enum tt_type {
	TT_CONNECT,
	TT_ACCEPT,
	TT_CLOSE,
	TT_REFUSED,
	TT_TIMEOUT,
	TT_RESET,
	TT_UNREACH,
	TT_NTYPES,
};

#define TT_FAILED_TYPES ((1u << TT_REFUSED) | (1u << TT_TIMEOUT) | (1u << TT_UNREACH) | \
			 (1u << TT_RESET))

enum tt_format { TT_FMT_TABLE, TT_FMT_WIDE, TT_FMT_JSON };

enum tt_hook_pref {
	TT_HOOK_AUTO, TT_HOOK_FEXIT, TT_HOOK_KPROBE, TT_HOOK_SYSCALL, TT_HOOK_LISTENER,
};
/* -s --by: the key of the per-key summary */
enum tt_by_kind { TT_BY_NONE, TT_BY_PORT, TT_BY_COMM, TT_BY_REMOTE, TT_BY_NETNS };
enum tt_tc_pref { TT_TC_AUTO, TT_TC_TCX, TT_TC_NETLINK };
enum tt_xdp_pref { TT_XDP_OFF, TT_XDP_NATIVE, TT_XDP_SKB };

/* views that saw a row */
#define TT_VIEW_SOCK	1
#define TT_VIEW_WIRE	2

struct tt_prefix {
	uint16_t family;
	uint8_t len;
	uint8_t addr[16];
};

/* A row's direction: internal, for the metrics' "direction" label; no output shows it. */
enum tt_mdir {
	TT_MDIR_OUT,		/* a local connect() */
	TT_MDIR_IN,		/* a peer connected to this host */
	TT_MDIR_FWD,		/* wire view only: between two other hosts, through a gateway */
	TT_MDIR_N,
};

#define TT_METRICS_ADDR_MAX	64	/* --metrics "[ADDR:]PORT" with its NUL */
#define TT_METRICS_MAX_NETS	64	/* --metrics-nets prefixes */

struct tt_config {
	pid_t pids[TT_MAX_PIDS];
	int npids;
	char comm[TT_COMM_LEN];		/* exact match; "" = any */
	uint16_t ports[TT_MAX_PORTS];
	int nports;
	int family;			/* 0, AF_INET or AF_INET6 */
	uint32_t types;			/* bit mask of enum tt_type; 0 = all */
	enum tt_format format;
	unsigned int interval;		/* seconds; 0 = footer at exit only */
	unsigned int duration;		/* seconds; 0 = until a signal */
	uint32_t netns;			/* inode; 0 = all namespaces */
	bool summary_only;
	enum tt_by_kind by;		/* --by; TT_BY_NONE: no per-key summary */
	bool no_seed;
	int verbose;
	enum tt_hook_pref accept_hook;
	char ifaces[TT_MAX_IFACES][TT_IFNAMSIZ];	/* --iface */
	int nifaces;
	enum tt_xdp_pref xdp;
	enum tt_tc_pref tc_attach;
	unsigned int syn_timeout;	/* seconds */
	unsigned int ringbuf_kib;	/* ring buffer size; 0 = TT_RINGBUF_BYTES */
	char metrics[TT_METRICS_ADDR_MAX];	/* --metrics [ADDR:]PORT; "" = no endpoint */
	unsigned int metrics_labels;	/* --metrics-labels: bits of enum tt_mlabel_kind */
	unsigned int metrics_max_values;	/* --metrics-max-values; 0 = the default */
	struct tt_prefix metrics_nets[TT_METRICS_MAX_NETS];	/* --metrics-nets */
	int metrics_nnets;
};

/* A connection's identity inside one network namespace. */
struct tt_key {
	uint32_t netns;
	uint16_t family;
	uint16_t sport;
	uint16_t dport;
	uint16_t pad;
	uint8_t saddr[16];
	uint8_t daddr[16];
};

/* One output line, whatever the format. */
struct tt_row {
	enum tt_type type;
	uint64_t ts_ns;			/* CLOCK_MONOTONIC */
	struct tt_key key;		/* family AF_INET for v4-mapped peers */
	int pid;			/* -1: unknown */
	char comm[TT_COMM_LEN];		/* "": unknown; raw bytes from the kernel */
	double lat_ms;			/* < 0: does not apply */
	double wait_ms;			/* accept queue wait; < 0: n/a */
	double dur_ms;			/* established lifetime or time to failure; < 0: n/a */
	int64_t bytes_sent;		/* < 0: n/a */
	int64_t bytes_recv;
	int syns;			/* SYNs sent by the active side; 0: n/a */
	int err;			/* errno reported by the kernel, 0 if none */
	const char *reason;		/* short word, see docs/classification.md */
	const char *hook;		/* accept hook, NULL otherwise */
	int views;			/* TT_VIEW_* bits */
	double sock_lat_ms;		/* < 0: n/a */
	double wire_lat_ms;		/* < 0: n/a */
	int ifindex;			/* interface the wire view saw it on; 0: none */
	int wire_syns;			/* SYNs the wire saw; 0: n/a */
	enum tt_mdir dir;		/* who opened it, relative to this host */
};

struct tt_by;

struct tt_summary {
	uint64_t ts_ns;
	uint64_t active;
	uint64_t opened;		/* CONNECT+ACCEPT in the period */
	uint64_t failed;		/* REFUSED+TIMEOUT+UNREACH in the period */
	double conn_rate;		/* CONNECT+ACCEPT per second */
	double failure_pct;		/* failed attempts / attempts */
	uint64_t lost;			/* facts the kernel could not deliver */
	uint64_t untracked;		/* sockets or flows that could not be tracked */
	uint64_t truncated;		/* wire packets whose headers could not be read */
	int64_t evicted;		/* wire flows forgotten before they ended; < 0: no wire view */
	const struct tt_by *by;		/* --by: the per-key summary (by.h); NULL: none */
};

/* log.c: levelled logging to stderr */
extern int tt_verbosity;
void tt_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define tt_err(...)	tt_log(0, __VA_ARGS__)
#define tt_info(...)	tt_log(1, __VA_ARGS__)
#define tt_debug(...)	tt_log(2, __VA_ARGS__)
/* Formats a one-line error into @err for main() to print; returns @ret. */
int tt_errf(char *err, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* TT_H */
