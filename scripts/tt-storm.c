// SPDX-License-Identifier: GPL-2.0
/*
 * tt-storm: the benchmark's workload, a storm of short connections.
 *
 *   tt-storm server ADDR PORT THREADS      accept, read one byte, close; until killed
 *   tt-storm client ADDR PORT THREADS N    N connections in all: connect, send one
 *                                          byte, close
 *
 * The client prints "<connections> <failures> <seconds> <connections/s>".
 * The client closes first, as most clients do, so TIME_WAIT is on its side:
 * the bench sets net.ipv4.tcp_tw_reuse=1 in the client's namespace so that
 * rounds a few seconds apart can reuse those ports.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_storage addr;
static socklen_t addrlen;
static long per_thread;
static long failures;

static void parse(const char *host, const char *port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&addr;

	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(atoi(port));
		addrlen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(atoi(port));
		addrlen = sizeof(*s6);
	} else {
		fprintf(stderr, "tt-storm: bad address %s\n", host);
		exit(2);
	}
}

static void *serve(void *arg)
{
	int one = 1, fd = socket(addr.ss_family, SOCK_STREAM, 0);
	char b;

	/* one listener per thread: the kernel spreads connections over them */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, addrlen) || listen(fd, 4096)) {
		perror("tt-storm server");
		exit(1);
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (read(c, &b, 1) < 0)
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		close(c);
	}
	return NULL;
}

static void *connect_loop(void *arg)
{
	char b = 'x';

	for (long i = 0; i < per_thread; i++) {
		int fd = socket(addr.ss_family, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&addr, addrlen) ||
		    write(fd, &b, 1) != 1)
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t th[64];
	int n;

	if (argc < 5 || (n = atoi(argv[4])) < 1 || n > 64) {
		fprintf(stderr, "usage: tt-storm server|client ADDR PORT THREADS [N]\n");
		return 2;
	}
	parse(argv[2], argv[3]);
	if (!strcmp(argv[1], "server")) {
		for (int i = 1; i < n; i++)
			pthread_create(&th[i], NULL, serve, NULL);
		serve(NULL);
		return 0;
	}
	if (argc < 6)
		return 2;
	per_thread = atol(argv[5]) / n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, connect_loop, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	long total = per_thread * n;

	printf("%ld %ld %.3f %.0f\n", total, failures, s, total / s);
	return failures ? 1 : 0;
}
