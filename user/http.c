// SPDX-License-Identifier: GPL-2.0
/*
 * GET /metrics over libmicrohttpd in its external epoll mode: MHD keeps its
 * sockets in one epoll descriptor that the caller polls, and does its work
 * only inside tt_http_run(), non-blocking.  No thread is started.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "http.h"
#include "netaddr.h"
#include "tt.h"

struct conn {
	struct MHD_Connection *c;	/* NULL: a free slot */
	uint64_t idle_ns;		/* since when it waits for a request; 0: in one */
	uint64_t deadline_ns;		/* its next response must be complete by then */
};

struct tt_http {
	struct MHD_Daemon *d;
	int epfd;
	int port;
	tt_http_body_fn fn;
	void *ctx;
	struct tt_buf body;		/* the page, rendered at each scrape */
	struct MHD_Response *not_found, *not_allowed, *too_large;
	struct conn conns[TT_HTTP_MAX_CONNS + 1];	/* + the one that makes room */
	unsigned int nconns;
	uint64_t limit_ns;		/* TT_HTTP_DEADLINE_S, shorter in tests */
	bool ended;			/* connections were shut down: MHD is to see it */
	uint64_t next_deadline_ns;	/* the earliest of conns[].deadline_ns */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The listening socket, made here so that a failure has its errno. */
static int listen_on(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, fd, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a restart must not wait for the last run's TIME_WAIT connections */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, TT_HTTP_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	tt_debug("metrics endpoint: %s", msg);
}

static void set_idle(struct tt_http *h, struct conn *s, uint64_t now)
{
	s->idle_ns = now;
	s->deadline_ns = now + h->limit_ns;
	if (s->deadline_ns < h->next_deadline_ns)
		h->next_deadline_ns = s->deadline_ns;
}

/* MHD sees the end of the stream on its next run, and frees the connection. */
static void end_conn(struct tt_http *h, struct conn *s)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(s->c, MHD_CONNECTION_INFO_CONNECTION_FD);

	if (ci)
		shutdown(ci->connect_fd, SHUT_RDWR);
	s->deadline_ns = UINT64_MAX;
	s->idle_ns = 0;
	h->ended = true;
}

/*
 * A new connection past the cap ends the one that has waited longest for a
 * request (the new one itself if all others are in one): idle keep-alive
 * connections and clients that send nothing cannot keep a scraper out.
 */
static void make_room(struct tt_http *h)
{
	struct conn *oldest = NULL;

	for (int i = 0; i <= TT_HTTP_MAX_CONNS; i++) {
		struct conn *s = &h->conns[i];

		if (s->c && s->idle_ns && (!oldest || s->idle_ns < oldest->idle_ns))
			oldest = s;
	}
	if (oldest)
		end_conn(h, oldest);
}

static void on_conn(void *cls, struct MHD_Connection *c, void **sock_ctx,
		    enum MHD_ConnectionNotificationCode what)
{
	struct tt_http *h = cls;
	struct conn *s = *sock_ctx;

	if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (s) {
			s->c = NULL;
			h->nconns--;
		}
		return;
	}
	for (int i = 0; i <= TT_HTTP_MAX_CONNS; i++) {
		s = &h->conns[i];
		if (!s->c) {
			s->c = c;
			set_idle(h, s, mono_ns());
			*sock_ctx = s;
			if (++h->nconns > TT_HTTP_MAX_CONNS)
				make_room(h);
			return;
		}
	}
	/* cannot happen under MHD's own connection limit; its idle timeout still applies */
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* A response sent: the next request on the connection has its own time. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req,
			 enum MHD_RequestTerminationCode toe)
{
	struct tt_http *h = cls;
	struct conn *s = conn_of(c);

	if (s && s->deadline_ns != UINT64_MAX)
		set_idle(h, s, mono_ns());
}

static enum MHD_Result reply_page(struct tt_http *h, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	unsigned int status = MHD_HTTP_OK;
	const char *type;
	enum MHD_Result ret;
	int err;

	tt_buf_reset(&h->body);
	err = h->fn(h->ctx, &h->body);
	if (!err)
		err = h->body.err;
	if (err) {
		tt_buf_reset(&h->body);
		tt_buf_printf(&h->body, "rendering the metrics: %s\n", strerror(-err));
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	r = MHD_create_response_from_buffer(h->body.len, h->body.p, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	type = status == MHD_HTTP_OK ? TT_HTTP_CONTENT_TYPE : "text/plain; charset=utf-8";
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A scrape has no body: one that comes with a body is refused, not read. */
static bool has_body(struct MHD_Connection *c)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (len && strcmp(len, "0")) ||
	       MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req)
{
	static int seen;
	struct tt_http *h = cls;

	/* answered on the headers: a request body is not read, and MHD closes after */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, h->not_allowed);
	if (!*req && has_body(c))
		return MHD_queue_response(c, MHD_HTTP_CONTENT_TOO_LARGE, h->too_large);
	/*
	 * The first call comes with the headers; a response queued then would
	 * end the connection.  The next one, once the request is complete, keeps
	 * it open for the next scrape.
	 */
	if (!*req) {
		struct conn *s = conn_of(c);

		if (s)
			s->idle_ns = 0;
		*req = &seen;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, TT_HTTP_PATH))
		return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, h->not_found);
	return reply_page(h, c);
}

static struct MHD_Response *fixed_response(const char *text, const char *allow)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return NULL;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "text/plain; charset=utf-8") != MHD_YES ||
	    (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

static int start(struct tt_http *h, int fd, int family)
{
	const union MHD_DaemonInfo *di;
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->not_found = fixed_response("not found: the metrics are at " TT_HTTP_PATH "\n", NULL);
	h->not_allowed = fixed_response("method not allowed\n", "GET, HEAD");
	h->too_large = fixed_response("a scrape has no request body\n", NULL);
	if (!h->not_found || !h->not_allowed || !h->too_large)
		return -ENOMEM;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)TT_HTTP_MAX_CONNS + 1,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TT_HTTP_DEADLINE_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)TT_HTTP_REQUEST_MAX,
				MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				MHD_OPTION_END);
	if (!h->d)
		return errno ? -errno : -EIO;
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || di->epoll_fd < 0)
		return -EIO;
	h->epfd = di->epoll_fd;
	return 0;
}

int tt_http_open(struct tt_http **hp, const char *addr_port, tt_http_body_fn fn, void *ctx,
		 char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct tt_http *h;
	char name[INET6_ADDRSTRLEN + 10];
	socklen_t len;
	int fd, ret;

	*hp = NULL;
	if (tt_listen_addr_parse(addr_port, &ss, &len))
		return tt_errf(err, errlen, -EINVAL, "metrics endpoint '%s': not [ADDR:]PORT",
			       addr_port);
	tt_sockaddr_str(&ss, name, sizeof(name));
	fd = listen_on(&ss, len);
	if (fd < 0)
		return tt_errf(err, errlen, fd, "metrics endpoint %s: %s", name, strerror(-fd));
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return tt_errf(err, errlen, -ENOMEM, "metrics endpoint %s: out of memory", name);
	}
	h->fn = fn;
	h->ctx = ctx;
	h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	h->next_deadline_ns = UINT64_MAX;
	h->limit_ns = TT_HTTP_DEADLINE_S * 1000000000ull;
	tt_buf_init(&h->body, TT_HTTP_BODY_MAX);
	ret = start(h, fd, ss.ss_family);
	if (ret) {
		/* a started daemon owns the socket; one that failed to start does not */
		if (!h->d)
			close(fd);
		tt_http_close(h);
		return tt_errf(err, errlen, ret, "metrics endpoint %s: starting the server: %s",
			       name, strerror(-ret));
	}
	*hp = h;
	return 0;
}

int tt_http_fd(const struct tt_http *h)
{
	return h->epfd;
}

int tt_http_port(const struct tt_http *h)
{
	return h->port;
}

unsigned int tt_http_conns(const struct tt_http *h)
{
	return h->nconns;
}

void tt_http_set_deadline_ms(struct tt_http *h, unsigned int ms)
{
	h->limit_ns = ms * 1000000ull;
}

/*
 * MHD's own timeout is one of inactivity, which a client sending a byte now
 * and then never meets: past its deadline a connection is ended here.
 */
static void end_late_conns(struct tt_http *h, uint64_t now)
{
	if (now < h->next_deadline_ns)
		return;
	h->next_deadline_ns = UINT64_MAX;
	for (int i = 0; i <= TT_HTTP_MAX_CONNS; i++) {
		struct conn *s = &h->conns[i];

		if (!s->c || s->deadline_ns == UINT64_MAX)
			continue;
		if (s->deadline_ns <= now)
			end_conn(h, s);
		else if (s->deadline_ns < h->next_deadline_ns)
			h->next_deadline_ns = s->deadline_ns;
	}
}

int tt_http_timeout_ms(struct tt_http *h, int max_ms)
{
	MHD_UNSIGNED_LONG_LONG t;
	uint64_t now;

	if (MHD_get_timeout(h->d, &t) == MHD_YES && t < (MHD_UNSIGNED_LONG_LONG)max_ms)
		max_ms = (int)t;
	if (h->next_deadline_ns != UINT64_MAX) {
		now = mono_ns();
		if (h->next_deadline_ns <= now)
			return 0;
		if ((h->next_deadline_ns - now) / 1000000 < (uint64_t)max_ms)
			max_ms = (h->next_deadline_ns - now) / 1000000 + 1;
	}
	return max_ms;
}

void tt_http_run(struct tt_http *h)
{
	h->ended = false;
	MHD_run(h->d);
	end_late_conns(h, mono_ns());
	if (h->ended)
		MHD_run(h->d);
}

void tt_http_close(struct tt_http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->not_found)
		MHD_destroy_response(h->not_found);
	if (h->not_allowed)
		MHD_destroy_response(h->not_allowed);
	if (h->too_large)
		MHD_destroy_response(h->too_large);
	tt_buf_free(&h->body);
	free(h);
}
