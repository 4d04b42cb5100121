// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics endpoint on 127.0.0.1 (and ::1) with a port of the kernel's
 * choice, driven by this test's own loop as tcptrack's poll loop drives it:
 * the page and its content type, 404 and 405, keep-alive, an oversized
 * request, silent and slow clients that must not keep a scrape out, the
 * time limit, a port in use.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "http.h"
#include "netaddr.h"

#define PAGE "# TYPE x_total counter\nx_total 1\n"

static struct tt_http *h;
static int renders;
static int render_err;

static int body(void *ctx, struct tt_buf *b)
{
	renders++;
	if (render_err)
		return render_err;
	tt_buf_puts(b, PAGE);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	char err[256];

	renders = 0;
	render_err = 0;
	assert_int_equal(tt_http_open(&h, "127.0.0.1:0", body, NULL, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	tt_http_close(h);
	h = NULL;
	return 0;
}

/* The server's turn, as in tcptrack's loop: poll its descriptor, then run it. */
static void serve(int max_ms)
{
	struct pollfd p = { .fd = tt_http_fd(h), .events = POLLIN };

	poll(&p, 1, tt_http_timeout_ms(h, max_ms));
	tt_http_run(h);
}

static void pump(int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		serve(5);
}

static int client_at(int family, const char *addr)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	if (family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons(tt_http_port(h));
		inet_pton(AF_INET, addr, &in->sin_addr);
		len = sizeof(*in);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(tt_http_port(h));
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		len = sizeof(*in6);
	}
	assert_true(!connect(fd, (struct sockaddr *)&ss, len) || errno == EINPROGRESS);
	return fd;
}

static int client(void)
{
	return client_at(AF_INET, "127.0.0.1");
}

/* Sends all of @req, serving meanwhile; false if the server closed first. */
static bool send_all(int fd, const char *req, size_t len, int max_ms)
{
	uint64_t end = now_ms() + max_ms;
	size_t off = 0;

	while (off < len && now_ms() < end) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);

		if (n > 0)
			off += n;
		else if (n < 0 && errno != EAGAIN && errno != ENOTCONN)
			return false;
		serve(1);
	}
	return off == len;
}

struct resp {
	char text[8192];
	size_t len;
	bool closed;		/* the server ended the connection */
};

/* Reads one response (all of it for a HEAD: no body), serving meanwhile. */
static void read_resp(int fd, struct resp *r, bool head, int max_ms)
{
	uint64_t end = now_ms() + max_ms;

	memset(r, 0, sizeof(*r));
	while (now_ms() < end) {
		const char *eoh = strstr(r->text, "\r\n\r\n");
		ssize_t n;

		if (eoh) {
			const char *cl = strcasestr(r->text, "\r\nContent-Length: ");
			size_t want = eoh + 4 - r->text + (cl && !head ? atoi(cl + 18) : 0);

			if (r->len >= want)
				return;
		}
		n = recv(fd, r->text + r->len, sizeof(r->text) - 1 - r->len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			r->closed = true;
			return;
		}
		if (n > 0)
			r->len += n;
		serve(2);
	}
}

/* Waits for the server to end the connection: true if it did within @max_ms. */
static bool ended(int fd, int max_ms)
{
	uint64_t end = now_ms() + max_ms;
	char c[4096];

	while (now_ms() < end) {
		ssize_t n = recv(fd, c, sizeof(c), 0);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
		serve(5);
	}
	return false;
}

static void request(int fd, const char *req, struct resp *r)
{
	assert_true(send_all(fd, req, strlen(req), 2000));
	read_resp(fd, r, !strncmp(req, "HEAD", 4), 2000);
}

static const char *body_of(const struct resp *r)
{
	const char *eoh = strstr(r->text, "\r\n\r\n");

	return eoh ? eoh + 4 : "";
}

static void test_scrape(void **state)
{
	int fd = client();
	struct resp r;

	request(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_memory_equal(r.text, "HTTP/1.1 200", 12);
	assert_non_null(strcasestr(r.text, "\r\nContent-Type: text/plain; version=0.0.4; "
					   "charset=utf-8\r\n"));
	assert_string_equal(body_of(&r), PAGE);
	assert_int_equal(renders, 1);
	close(fd);
}

/* Prometheus keeps its connection: every scrape on it is answered. */
static void test_keep_alive(void **state)
{
	int fd = client();
	struct resp r;

	for (int i = 0; i < 3; i++) {
		request(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
		assert_memory_equal(r.text, "HTTP/1.1 200", 12);
		assert_false(r.closed);
	}
	assert_int_equal(renders, 3);
	assert_int_equal(tt_http_conns(h), 1);
	close(fd);
}

static void test_head(void **state)
{
	int fd = client();
	struct resp r;

	request(fd, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_memory_equal(r.text, "HTTP/1.1 200", 12);
	assert_string_equal(body_of(&r), "");
	close(fd);
}

static void test_not_found(void **state)
{
	static const char *const paths[] = {
		"/", "/metric", "/metricsx", "/metrics/", "/x/metrics",
	};
	struct resp r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char req[128];
		int fd = client();

		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
		request(fd, req, &r);
		assert_memory_equal(r.text, "HTTP/1.1 404", 12);
		close(fd);
	}
	/* a query string is not part of the path */
	int fd = client();

	request(fd, "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_memory_equal(r.text, "HTTP/1.1 200", 12);
	close(fd);
	assert_int_equal(renders, 1);
}

static void test_method_not_allowed(void **state)
{
	static const char *const reqs[] = {
		"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"PUT /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	struct resp r;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int fd = client();

		request(fd, reqs[i], &r);
		assert_memory_equal(r.text, "HTTP/1.1 405", 12);
		assert_non_null(strcasestr(r.text, "\r\nAllow: GET, HEAD\r\n"));
		close(fd);
	}
	assert_int_equal(renders, 0);
}

/* A GET with a body is refused at its headers; the body is not read. */
static void test_get_with_body(void **state)
{
	static const char *const reqs[] = {
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nxx",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n",
	};
	struct resp r;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int fd = client();

		request(fd, reqs[i], &r);
		assert_memory_equal(r.text, "HTTP/1.1 413", 12);
		assert_true(r.closed || ended(fd, 1000));
		close(fd);
	}
	assert_int_equal(renders, 0);
}

/* A request past the size limit is refused and ends; the next scrape is served. */
static void test_oversized_request(void **state)
{
	size_t len = 1 << 20;
	char *req = malloc(len + 64);
	uint64_t start = now_ms();
	struct resp r;
	int fd = client();

	assert_non_null(req);
	strcpy(req, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	for (size_t i = strlen(req); i < len; i += 16)
		memcpy(req + i, "X-Pad: aaaaaaa\r\n", 16);
	memcpy(req + len, "\r\n", 3);
	/* the server may stop reading, and end the connection, long before the end */
	send_all(fd, req, len + 2, 2000);
	read_resp(fd, &r, false, 2000);
	assert_memory_equal(r.text, "HTTP/1.1 431", 12);
	assert_true(r.closed || ended(fd, 2000));
	assert_true(now_ms() - start < 3000);
	assert_int_equal(renders, 0);
	close(fd);
	free(req);

	fd = client();
	request(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_memory_equal(r.text, "HTTP/1.1 200", 12);
	close(fd);
}

/* Clients that send nothing, or a request a byte at a time, do not delay a scrape. */
static void test_silent_client_does_not_block(void **state)
{
	int silent = client(), slow = client(), fd;
	uint64_t start;
	struct resp r;

	pump(50);
	assert_int_equal(send(slow, "GET /metr", 9, 0), 9);
	pump(50);
	assert_int_equal(tt_http_conns(h), 2);
	start = now_ms();
	fd = client();
	request(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_memory_equal(r.text, "HTTP/1.1 200", 12);
	assert_true(now_ms() - start < 500);
	close(fd);
	close(silent);
	close(slow);
}

/* Past the cap on connections, the one waiting longest for a request makes room. */
static void test_connection_cap(void **state)
{
	int idle[TT_HTTP_MAX_CONNS + 4], fd;
	struct resp r;
	int gone = 0;

	for (int i = 0; i < TT_HTTP_MAX_CONNS + 4; i++) {
		idle[i] = client();
		pump(5);
	}
	pump(50);
	assert_true(tt_http_conns(h) <= TT_HTTP_MAX_CONNS + 1);
	fd = client();
	request(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_memory_equal(r.text, "HTTP/1.1 200", 12);
	close(fd);
	/* the oldest went first */
	assert_true(ended(idle[0], 100));
	for (int i = 0; i < TT_HTTP_MAX_CONNS + 4; i++) {
		gone += ended(idle[i], 1);
		close(idle[i]);
	}
	assert_true(gone >= 5);
}

/* A client trickling a byte at a time is ended at the time limit all the same. */
static void test_time_limit(void **state)
{
	int fd = client();
	uint64_t start = now_ms();
	const char *req = "GET /metrics HTTP/1.1\r\nX-Slow: ";
	bool closed = false;

	tt_http_set_deadline_ms(h, 300);
	pump(20);
	for (int i = 0; !closed && now_ms() - start < 3000; i++) {
		char c;

		if (send(fd, &req[i % strlen(req)], 1, MSG_NOSIGNAL) < 0)
			break;
		pump(50);
		closed = recv(fd, &c, 1, MSG_DONTWAIT) == 0;
	}
	assert_true(closed || ended(fd, 1000));
	assert_true(now_ms() - start >= 250);
	assert_true(now_ms() - start < 1500);
	pump(20);
	assert_int_equal(tt_http_conns(h), 0);
	close(fd);
}

static void test_render_error(void **state)
{
	int fd = client();
	struct resp r;

	render_err = -ENOMEM;
	request(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_memory_equal(r.text, "HTTP/1.1 500", 12);
	assert_non_null(strstr(body_of(&r), "Cannot allocate memory"));
	close(fd);
}

static void test_port_in_use(void **state)
{
	struct tt_http *h2 = NULL;
	char addr[32], err[256], want[128];

	snprintf(addr, sizeof(addr), "%d", tt_http_port(h));
	assert_int_equal(tt_http_open(&h2, addr, body, NULL, err, sizeof(err)), -EADDRINUSE);
	assert_null(h2);
	snprintf(want, sizeof(want), "metrics endpoint 127.0.0.1:%d: %s", tt_http_port(h),
		 strerror(EADDRINUSE));
	assert_string_equal(err, want);
	assert_null(strchr(err, '\n'));
}

static void test_parse_addr(void **state)
{
	static const char *const good[] = {
		"9100", "0", "65535", "127.0.0.1:9100", "0.0.0.0:80", "[::1]:9100", "[::]:1",
		"[2001:db8::1]:443", "[::ffff:10.0.0.1]:80",
	};
	static const char *const bad[] = {
		"", ":", ":9100", "65536", "-1", "91x", "x", "127.0.0.1", "127.0.0.1:",
		"127.0.0.1:99999", "::1:9100", "[::1]", "[::1]:", "[127.0.0.1]:80", "[::1:80",
		"localhost:9100", "1.2.3:80", " 9100", "9100 ",
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	socklen_t len;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(tt_listen_addr_parse(good[i], &ss, &len), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tt_listen_addr_parse(bad[i], &ss, &len) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_int_equal(tt_listen_addr_parse("9100", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 9100);
	assert_int_equal(in->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(tt_listen_addr_parse("[::1]:9100", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
}

static void test_ipv6(void **state)
{
	struct tt_http *h4 = h;
	char err[256];
	struct resp r;
	int ret, fd;

	ret = tt_http_open(&h, "[::1]:0", body, NULL, err, sizeof(err));
	if (ret == -EADDRNOTAVAIL || ret == -EAFNOSUPPORT) {
		h = h4;
		skip();
	}
	assert_int_equal(ret, 0);
	fd = client_at(AF_INET6, "::1");
	request(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_memory_equal(r.text, "HTTP/1.1 200", 12);
	close(fd);
	tt_http_close(h);
	h = h4;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Closing the server closes every descriptor it had, with clients still connected. */
static void test_close_leaves_nothing(void **state)
{
	int before, fd;
	char err[256];

	tt_http_close(h);
	before = count_fds();
	assert_int_equal(tt_http_open(&h, "127.0.0.1:0", body, NULL, err, sizeof(err)), 0);
	fd = client();
	pump(30);
	assert_int_equal(tt_http_conns(h), 1);
	tt_http_close(h);
	h = NULL;
	close(fd);
	assert_int_equal(count_fds(), before);
	assert_int_equal(tt_http_open(&h, "127.0.0.1:0", body, NULL, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scrape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_method_not_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_with_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_client_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_leaves_nothing, setup, teardown),
	};

	/* a server that ended a connection must not kill the test with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
