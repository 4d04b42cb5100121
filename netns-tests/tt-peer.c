// SPDX-License-Identifier: GPL-2.0
/*
 * tt-peer: the client and server the netns scenarios run, so that every
 * event has a known PID, command name and behaviour.
 *
 *   tt-peer server ADDR PORT [-n COUNT] [-m fin|rst|first|linger2] [-d MS] [-N NAME]
 *   tt-peer client ADDR PORT [-t TIMEOUT_MS] [-s BYTES] [-H] [-w MS] [-A] [-b PORT] [-N NAME]
 *
 * Server modes: fin reads to the end and closes; rst aborts (SO_LINGER 0);
 * first reads once and closes first; linger2 reads once, sends its FIN, and
 * closes in FIN_WAIT2 with TCP_LINGER2 -1 (an abort after close()).
 * -d waits MS between a connection's arrival and its accept(): it sits in
 * the accept queue.
 * -H keeps the connection open (no shutdown) until the peer closes it.
 * -w keeps it open MS more after the peer's FIN, then writes a byte.
 * -A sets TCP_DEFER_ACCEPT on the client before connect(): Linux then holds
 * the handshake's final ACK back for the first data, which carries it (as
 * other stacks do more often).
 * -b binds the client to local PORT before connect().
 *
 * The server prints "ready <pid>" once listening; the client prints
 * "<pid> ok" or "<pid> <errno name>" and exits 0 only on success.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int make_addr(const char *host, const char *port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "tt-peer: bad address %s\n", host);
	exit(2);
}

static const char *ename(int e)
{
	switch (e) {
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNRESET: return "ECONNRESET";
	case EPIPE: return "EPIPE";
	default: return strerror(e);
	}
}

static int server(const struct sockaddr_storage *ss, socklen_t len, int count, const char *mode,
		  int delay_ms)
{
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM, 0);
	char buf[4096];

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 128)) {
		perror("tt-peer server");
		return 1;
	}
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		int c;

		if (delay_ms) {
			/* from the connection's arrival, not from ours */
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, -1);
			usleep(delay_ms * 1000);
		}
		c = accept(fd, NULL, NULL);
		if (c < 0) {
			perror("tt-peer accept");
			return 1;
		}
		if (!strcmp(mode, "rst")) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			/* an abort: close() with SO_LINGER 0 sends RST */
			setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		} else if (!strcmp(mode, "first")) {
			/* the server closes first: an orphan handed to a FIN_WAIT2 timewait */
			if (read(c, buf, sizeof(buf)) < 0)
				perror("tt-peer read");
		} else if (!strcmp(mode, "linger2")) {
			int off = -1;

			/*
			 * An orphan's abort: in FIN_WAIT2 with TCP_LINGER2 < 0,
			 * close() moves it to CLOSE and then sends an RST.
			 */
			if (read(c, buf, sizeof(buf)) < 0)
				perror("tt-peer read");
			shutdown(c, SHUT_WR);
			usleep(200 * 1000);	/* the peer ACKs the FIN: FIN_WAIT2 */
			setsockopt(c, IPPROTO_TCP, TCP_LINGER2, &off, sizeof(off));
		} else {
			while (read(c, buf, sizeof(buf)) > 0)
				;
		}
		close(c);
	}
	close(fd);
	return 0;
}

static int client(const struct sockaddr_storage *ss, socklen_t len, int timeout_ms, int bytes,
		  int hold, int linger_ms, int ack_on_data, int bind_port)
{
	int fd = socket(ss->ss_family, SOCK_STREAM, 0), err = 0, one = 1;
	socklen_t elen = sizeof(err);
	char buf[4096] = { 0 };

	if (fd < 0) {
		perror("tt-peer socket");
		return 2;
	}
	if (ack_on_data && setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one))) {
		perror("tt-peer TCP_DEFER_ACCEPT");
		return 2;
	}
	if (bind_port) {
		struct sockaddr_storage b = { .ss_family = ss->ss_family };

		/* the port at offset 2 in both families' sockaddr; any address */
		((struct sockaddr_in *)&b)->sin_port = htons(bind_port);
		if (bind(fd, (struct sockaddr *)&b, len)) {
			perror("tt-peer bind");
			return 2;
		}
	}
	if (timeout_ms > 0) {
		/* the application's own connect timeout, as many clients have */
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		fcntl(fd, F_SETFL, O_NONBLOCK);
		if (connect(fd, (const struct sockaddr *)ss, len) && errno != EINPROGRESS) {
			err = errno;
		} else if (poll(&p, 1, timeout_ms) == 0) {
			err = ETIMEDOUT;
		} else {
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		}
		fcntl(fd, F_SETFL, 0);
	} else if (connect(fd, (const struct sockaddr *)ss, len)) {
		err = errno;
	}
	if (err) {
		printf("%d %s\n", getpid(), ename(err));
		close(fd);
		return 1;
	}
	while (bytes > 0) {
		ssize_t n = write(fd, buf, bytes < (int)sizeof(buf) ? bytes : (int)sizeof(buf));

		if (n <= 0) {
			err = errno;
			break;
		}
		bytes -= n;
	}
	if (!hold)
		shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0) {
			err = errno;
			break;
		}
	}
	if (linger_ms) {
		/* keep our end open after the peer's FIN; report what ended it */
		usleep(linger_ms * 1000);
		if (!err && send(fd, "", 1, MSG_NOSIGNAL) < 0)
			err = errno;
	}
	close(fd);
	printf("%d %s\n", getpid(), err ? ename(err) : "ok");
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *mode = "fin", *name = NULL;
	int count = 1, timeout_ms = 0, bytes = 1, hold = 0, linger_ms = 0, delay_ms = 0, opt;
	int ack_on_data = 0, bind_port = 0;
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc < 4) {
		fprintf(stderr, "usage: tt-peer server|client ADDR PORT [options]\n");
		return 2;
	}
	optind = 4;
	while ((opt = getopt(argc, argv, "n:m:t:s:HN:w:d:Ab:")) != -1) {
		switch (opt) {
		case 'n': count = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 't': timeout_ms = atoi(optarg); break;
		case 's': bytes = atoi(optarg); break;
		case 'H': hold = 1; break;
		case 'N': name = optarg; break;
		case 'w': linger_ms = atoi(optarg); break;
		case 'd': delay_ms = atoi(optarg); break;
		case 'A': ack_on_data = 1; break;
		case 'b': bind_port = atoi(optarg); break;
		default: return 2;
		}
	}
	if (name)
		prctl(PR_SET_NAME, name);	/* the kernel keeps the first 15 bytes */
	make_addr(argv[2], argv[3], &ss, &len);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "server"))
		return server(&ss, len, count, mode, delay_ms);
	return client(&ss, len, timeout_ms, bytes, hold, linger_ms, ack_on_data, bind_port);
}
