// SPDX-License-Identifier: GPL-2.0
/*
 * tcptrack: TCP connections live, with the process behind each, the
 * handshake latency and a footer of rates.  main() owns the exit status.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "by.h"
#include "classify.h"
#include "http.h"
#include "loader.h"
#include "metrics.h"
#include "opts.h"
#include "output.h"
#include "seed.h"
#include "wire.h"

/* the least time between two re-reads of the active connections */
#define TT_RESYNC_NS	(10 * 1000000000ull)

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t footer_wanted;	/* SIGUSR1: the footer now, as dd does */
static char outbuf[1 << 16];	/* stdout's buffer when it is not a terminal */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		footer_wanted = 1;
	else
		exiting = 1;
}

struct app {
	struct tt_config cfg;
	struct tt_out out;
	struct tt_classifier cls;
	struct tt_bpf bpf;
	struct tt_wire wire;
	uint64_t start_ns;
	int out_err;		/* stdout failed (for example a closed pipe) */
	uint64_t kwindow[TT_CNT_MAX];	/* kernel counters when the interval began */
	uint64_t lost_resynced;	/* lost facts when active connections were last re-read */
	uint64_t resync_ns;
	struct tt_http *http;		/* --metrics: the endpoint, opened before the views */
	struct tt_metrics *metrics;	/* created once the views are up */
	struct tt_by by;		/* -s --by: the rows per key since start */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int on_row(const struct tt_row *r, void *ctx)
{
	struct app *a = ctx;

	return tt_out_row(&a->out, r);
}

static void on_counted_row(const struct tt_row *r, void *ctx)
{
	struct app *a = ctx;

	if (a->metrics)
		tt_metrics_observe_row(a->metrics, r, r->dir);
	if (a->cfg.by)
		tt_by_observe(&a->by, r);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct app *a = ctx;

	/* the two kinds of records differ in size (include/tcptrack.h) */
	if (size == sizeof(struct tt_wire_event))
		return tt_cls_feed_wire(&a->cls, data);
	if (size < sizeof(struct tt_event))
		return 0;
	return tt_cls_feed(&a->cls, data);
}

/*
 * A lost CLOSE would leave its connection active for good: after a loss,
 * the sockets are dumped again (at most every TT_RESYNC_NS, and before the
 * @last footer) and what is gone is forgotten.
 */
static void resync_after_loss(struct app *a, uint64_t lost, bool last, uint64_t now_ns)
{
	long n;

	if (lost <= a->lost_resynced || (!last && now_ns - a->resync_ns < TT_RESYNC_NS))
		return;
	n = tt_resync_active(&a->cls, a->cfg.netns);
	if (n < 0)
		tt_err("re-reading active connections after lost events: %s", strerror((int)-n));
	else
		tt_info("%ld active connections had lost their CLOSE", n);
	a->lost_resynced = lost;
	a->resync_ns = now_ns;
}

/* The footer's losses from the kernel's counters @cnt: lost facts, truncated packets, evictions. */
static void kernel_losses(struct app *a, const uint64_t *cnt, struct tt_summary *s)
{
	s->lost = cnt[TT_CNT_RB_FULL] + tt_bpf_skipped(&a->bpf, cnt[TT_CNT_STATE_RESCUED]);
	s->truncated = cnt[TT_CNT_WIRE_TRUNCATED];
	s->evicted = -1;
	if (a->wire.skel) {
		long live = tt_wire_live_flows(&a->wire);
		int64_t ev = (int64_t)cnt[TT_CNT_FLOW_NEW] - (int64_t)cnt[TT_CNT_FLOW_END] - live;

		s->evicted = ev > 0 ? ev : 0;
	}
}

/*
 * @base: the kernel's counters when the period began (NULL: at start).  With
 * count_only the kernel counts the connections that open and close in order
 * (kern/set_state.bpf.h, kern/accept.bpf.h); they are added to the classifier's rows here.
 */
static int print_summary(struct app *a, const struct tt_counts *n, uint64_t *base,
			 uint64_t since_ns, uint64_t now_ns)
{
	uint64_t cnt[TT_CNT_MAX] = { 0 }, zero[TT_CNT_MAX] = { 0 };
	struct tt_summary s = { .ts_ns = now_ns, .by = a->cfg.by ? &a->by : NULL };
	struct tt_counts m = *n;
	int64_t active;

	tt_bpf_counters(&a->bpf, cnt);
	kernel_losses(a, cnt, &s);
	resync_after_loss(a, s.lost, !base, now_ns);
	if (!base)
		base = zero;
	m.n[TT_CONNECT] += cnt[TT_CNT_CONNECTED] - base[TT_CNT_CONNECTED];
	m.n[TT_ACCEPT] += cnt[TT_CNT_ACCEPTED] - base[TT_CNT_ACCEPTED];
	tt_cls_summary(&m, (now_ns - since_ns) / 1e9, &s);
	/* per-CPU counters are read one CPU after the other: never below zero */
	active = (int64_t)(a->cls.active.count + cnt[TT_CNT_CONNECTED] + cnt[TT_CNT_ACCEPTED]) -
		 (int64_t)cnt[TT_CNT_CLOSED];
	s.active = active > 0 ? active : 0;
	/* the next period starts from what this one counted */
	if (base != zero)
		memcpy(base, cnt, sizeof(cnt));
	s.untracked = cnt[TT_CNT_SOCK_FULL] + a->cls.untracked_flows;
	return tt_out_summary(&a->out, &s);
}

/*
 * The page at scrape time: the gauges and loss counters refreshed first, with
 * the footer's arithmetic.  With --metrics the kernel counts no connection
 * itself (loader.c), so the classifier's active set is the footer's number.
 */
static int render_metrics(void *ctx, struct tt_buf *body)
{
	uint64_t cnt[TT_CNT_MAX] = { 0 }, v4, v6;
	struct tt_summary s = { 0 };
	struct app *a = ctx;

	if (!a->metrics)
		return -EAGAIN;
	tt_bpf_counters(&a->bpf, cnt);
	kernel_losses(a, cnt, &s);
	tt_cls_active_by_family(&a->cls, &v4, &v6);
	tt_metrics_set_active(a->metrics, v4, v6);
	tt_metrics_set_losses(a->metrics, s.lost, s.evicted > 0 ? s.evicted : 0, s.truncated);
	return tt_metrics_render(a->metrics, body);
}

/* The metric set, once the views are up (build_info names the hooks they chose). */
static int start_metrics(struct app *a)
{
	struct tt_metrics_config mc = {
		.labels = a->cfg.metrics_labels,
		.max_values = a->cfg.metrics_max_values,
		.nnets = a->cfg.metrics_nnets,
		.version = TT_VERSION,
		.accept_hook = a->bpf.accept_hook,
		.tc_attach = a->wire.n ? a->wire.tc_path : NULL,
		.start_time = (double)time(NULL),
	};
	int ret;

	memcpy(mc.nets, a->cfg.metrics_nets, sizeof(mc.nets));
	ret = tt_metrics_new(&a->metrics, &mc);
	if (ret)
		return ret;
	for (int i = 0; i < a->wire.n; i++)
		tt_metrics_add_ifname(a->metrics, a->wire.ifaces[i].ifindex,
				      a->wire.ifaces[i].name);
	a->cls.observe = on_counted_row;
	return 0;
}

/*
 * Waits for ring buffer records, or with --metrics for them or an HTTP
 * client, and serves the client; the ring is read by the caller.  0 or -errno.
 */
static int wait_events(struct app *a, struct ring_buffer *rb)
{
	struct pollfd p[2] = {
		{ .fd = ring_buffer__epoll_fd(rb), .events = POLLIN },
		{ .fd = a->http ? tt_http_fd(a->http) : -1, .events = POLLIN },
	};
	int ret;

	if (!a->http)
		return ring_buffer__poll(rb, TT_POLL_MS);
	ret = poll(p, 2, tt_http_timeout_ms(a->http, TT_POLL_MS));
	if (ret < 0)
		return -errno;
	tt_http_run(a->http);
	return 0;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: a signal must interrupt the ring buffer poll */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL) || sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	/* a closed stdout is an EPIPE from write(), handled as a quiet end */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int run(struct app *a, struct ring_buffer *rb)
{
	uint64_t now = mono_ns(), last_summary = now;
	uint64_t end = a->cfg.duration ? now + a->cfg.duration * 1000000000ull : 0;
	int ret = 0;

	while (!exiting) {
		/* the totals since start, as the last footer will; the interval's window goes on */
		if (footer_wanted) {
			footer_wanted = 0;
			if (print_summary(a, &a->cls.total, NULL, a->start_ns, mono_ns()) ||
			    tt_out_flush(&a->out)) {
				a->out_err = 1;
				return TT_EXIT_OK;
			}
		}
		ret = wait_events(a, rb);
		if (ret == -EINTR) {
			ret = 0;
			continue;
		}
		/*
		 * The kernel side wakes us only once a batch is queued
		 * (kern/common.bpf.h): after a quiet poll, read what is there.
		 */
		if (ret >= 0)
			ret = ring_buffer__consume(rb);
		now = mono_ns();
		tt_wire_poll_links(&a->wire);
		if (ret < 0 && !a->cls.cb_err) {
			tt_err("reading the ring buffer: %s", strerror(-ret));
			return TT_EXIT_RUNTIME;
		}
		if (tt_cls_flush(&a->cls, now, false) || tt_out_flush(&a->out)) {
			a->out_err = 1;
			return TT_EXIT_OK;
		}
		if (a->cfg.interval && now - last_summary >= a->cfg.interval * 1000000000ull) {
			if (print_summary(a, &a->cls.window, a->kwindow, last_summary, now) ||
			    tt_out_flush(&a->out)) {
				a->out_err = 1;
				return TT_EXIT_OK;
			}
			memset(&a->cls.window, 0, sizeof(a->cls.window));
			last_summary = now;
		}
		if (end && now >= end)
			break;
	}
	/* drain what the kernel already delivered before the final footer */
	ring_buffer__consume(rb);
	if (tt_cls_flush(&a->cls, mono_ns(), true) || tt_out_flush(&a->out))
		a->out_err = 1;
	return TT_EXIT_OK;
}

/* The wire view's interfaces and addresses, for the joiner and the IFACE column. */
static void join_views(struct app *a)
{
	struct tt_prefix prefixes[TT_MAX_PREFIXES];
	int n = tt_wire_prefixes(&a->wire, prefixes, TT_MAX_PREFIXES);

	tt_cls_enable_wire(&a->cls, a->cfg.syn_timeout, prefixes, n);
	for (int i = 0; i < a->wire.n; i++)
		tt_out_add_ifname(&a->out, a->wire.ifaces[i].ifindex, a->wire.ifaces[i].name);
}

/* Attaches both views and opens their ring buffer: 0, or -1 once said on stderr. */
static int start(struct app *a, struct ring_buffer **rb)
{
	char err[512] = "";

	if (install_signals()) {
		tt_err("installing signal handlers: %s", strerror(errno));
		return -1;
	}
	if (tt_bpf_start(&a->bpf, &a->cfg, err, sizeof(err)) ||
	    tt_wire_start(&a->wire, &a->cfg, tt_bpf_events_fd(&a->bpf),
			  tt_bpf_counters_fd(&a->bpf), err, sizeof(err))) {
		tt_err("%s", err);
		return -1;
	}
	if (a->wire.n)
		join_views(a);
	*rb = ring_buffer__new(tt_bpf_events_fd(&a->bpf), on_event, a, NULL);
	if (!*rb) {
		tt_err("creating the ring buffer reader: %s", strerror(errno));
		return -1;
	}
	/* after attaching, so that nothing opened in between is missed */
	if (tt_seed_all(&a->cls, a->cfg.netns))
		tt_err("seeding active connections: %s (counting only new ones)",
		       strerror(errno));
	if (a->http && start_metrics(a)) {
		tt_err("creating the metrics: out of memory");
		return -1;
	}
	return 0;
}

/* The header, the banner, the events until the end, the last footer: the exit status. */
static int trace(struct app *a, struct ring_buffer *rb)
{
	int status;

	a->start_ns = mono_ns();
	if (!a->cfg.summary_only && tt_out_header(&a->out))
		a->out_err = 1;
	tt_out_flush(&a->out);
	fprintf(stderr, "Tracing TCP connections (socket view, accept hook %s%s%s%s)%s. Ctrl-C to end.\n",
		a->bpf.accept_hook, a->wire.n ? "; wire view on " : "",
		a->wire.n ? (a->cfg.xdp ? "xdp+" : "") : "", a->wire.n ? a->wire.tc_path : "",
		a->cfg.netns ? " in one network namespace" : "");

	status = a->out_err ? TT_EXIT_OK : run(a, rb);
	if (!a->out_err && print_summary(a, &a->cls.total, NULL, a->start_ns, mono_ns()) == 0)
		tt_out_flush(&a->out);
	return status;
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	struct ring_buffer *rb = NULL;
	char err[512] = "";
	int ret, status;

	ret = tt_parse_args(argc, argv, &a.cfg, err, sizeof(err));
	if (ret == 1)
		return TT_EXIT_OK;
	if (ret < 0) {
		fprintf(stderr, "tcptrack: %s (try --help)\n", err);
		return TT_EXIT_USAGE;
	}
	tt_verbosity = a.cfg.verbose;
	if (tt_wire_resolve(&a.wire, &a.cfg, err, sizeof(err))) {
		fprintf(stderr, "tcptrack: %s\n", err);
		return strstr(err, "unknown interface") ? TT_EXIT_USAGE : TT_EXIT_RUNTIME;
	}

	/*
	 * A file or pipe gets large writes; a terminal keeps its line buffering
	 * (JSON rows still leave at the end of each poll, output.h).  glibc
	 * ignores the size unless it is given the buffer, and would write
	 * st_blksize (4 KiB) at a time.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	tt_out_init(&a.out, stdout, a.cfg.format);
	if (tt_cls_init(&a.cls, &a.cfg, on_row, &a)) {
		tt_err("out of memory");
		return TT_EXIT_RUNTIME;
	}
	if (a.cfg.by) {
		if (tt_by_init(&a.by, a.cfg.by, TT_BY_MAX_KEYS)) {
			tt_err("out of memory");
			tt_cls_free(&a.cls);
			return TT_EXIT_RUNTIME;
		}
		a.cls.observe = on_counted_row;
	}
	/* before the views: a port in use ends tcptrack before anything is attached */
	if (a.cfg.metrics[0] &&
	    tt_http_open(&a.http, a.cfg.metrics, render_metrics, &a, err, sizeof(err))) {
		fprintf(stderr, "tcptrack: %s\n", err);
		tt_by_free(&a.by);
		tt_cls_free(&a.cls);
		return TT_EXIT_RUNTIME;
	}
	status = start(&a, &rb) ? TT_EXIT_RUNTIME : trace(&a, rb);

	tt_http_close(a.http);
	tt_metrics_free(a.metrics);
	tt_by_free(&a.by);
	ring_buffer__free(rb);
	tt_wire_stop(&a.wire);
	tt_bpf_stop(&a.bpf);
	tt_cls_free(&a.cls);
	/* stdout may be a closed pipe: say nothing more about it */
	if (a.out_err)
		fclose(stdout);
	return status;
}
