/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics endpoint's HTTP side: GET /metrics served from the caller's
 * own event loop through one file descriptor, never blocking it.  Built on
 * Debian's libmicrohttpd, without any thread of its own (docs/metrics.md,
 * Design).
 */
#ifndef TT_HTTP_H
#define TT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "buf.h"

#define TT_HTTP_PATH		"/metrics"
#define TT_HTTP_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
/*
 * Limits against slow or hostile clients: open connections (more wait in
 * the listen backlog), the bytes a request's line and headers may take,
 * and the time a connection has, from its start or its previous response,
 * to complete its next response.  Prometheus's default scrape timeout is
 * also 10 s, and a scrape here takes milliseconds.
 */
#define TT_HTTP_MAX_CONNS	16
#define TT_HTTP_BACKLOG		16
#define TT_HTTP_REQUEST_MAX	(16 * 1024)
#define TT_HTTP_DEADLINE_S	10
#define TT_HTTP_BODY_MAX	(64u << 20)

/* Renders the page into @body (empty on entry); 0 or -errno (a 500 is sent). */
typedef int (*tt_http_body_fn)(void *ctx, struct tt_buf *body);

struct tt_http;

/*
 * Binds "[ADDR:]PORT" (netaddr.h) and listens at once, so that a port in
 * use is reported before tracing starts: 0, or -errno with a one-line
 * reason naming ADDR:PORT in @err.
 */
int tt_http_open(struct tt_http **h, const char *addr_port, tt_http_body_fn fn, void *ctx,
		 char *err, size_t errlen);
/*
 * The one descriptor to poll for reading, and the longest the poll may wait
 * (at most @max_ms): 0 while the server has work left from its last run,
 * such as more of a request to read than one run takes.
 */
int tt_http_fd(const struct tt_http *h);
int tt_http_timeout_ms(struct tt_http *h, int max_ms);
/*
 * Accepts, reads and answers what is ready, and ends connections past their
 * time.  Never blocks.  Call it after every such poll, whatever it returned.
 */
void tt_http_run(struct tt_http *h);
/* The port bound (the kernel's choice for port 0). */
int tt_http_port(const struct tt_http *h);
/* Open connections, and a shorter time limit: for tests. */
unsigned int tt_http_conns(const struct tt_http *h);
void tt_http_set_deadline_ms(struct tt_http *h, unsigned int ms);
void tt_http_close(struct tt_http *h);

#endif
