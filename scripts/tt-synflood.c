// SPDX-License-Identifier: GPL-2.0
/*
 * tt-synflood: SYNs from many distinct spoofed sources, for the flood tests.
 * Run it only inside a network namespace a test created.
 *
 *   tt-synflood DST_ADDR DST_PORT COUNT
 *
 * Sources are 10.99.x.y with varying ports: unroutable from the target, so
 * nothing answers and every SYN is a new half-open flow.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned short csum(const void *data, size_t len, unsigned int sum)
{
	const unsigned short *p = data;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const unsigned char *)p;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned char pkt[40];
	struct iphdr *ip = (struct iphdr *)pkt;
	struct tcphdr *th = (struct tcphdr *)(pkt + 20);
	long count, sent = 0;
	int fd, one = 1;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "usage: tt-synflood DST_ADDR DST_PORT COUNT\n");
		return 2;
	}
	count = atol(argv[3]);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("tt-synflood: raw socket");
		return 1;
	}
	for (long i = 0; i < count; i++) {
		struct {
			unsigned int src, dst;
			unsigned char zero, proto;
			unsigned short len;
		} ph;

		memset(pkt, 0, sizeof(pkt));
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(sizeof(pkt));
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->saddr = htonl(0x0a630000 | (i & 0xffff));	/* 10.99.x.y */
		ip->daddr = dst.sin_addr.s_addr;
		ip->check = csum(ip, 20, 0);
		th->source = htons(1024 + (i >> 16) * 7 + (i % 50000));
		th->dest = htons(atoi(argv[2]));
		th->seq = htonl(i * 2654435761u);
		th->doff = 5;
		th->syn = 1;
		th->window = htons(65535);
		ph.src = ip->saddr;
		ph.dst = ip->daddr;
		ph.zero = 0;
		ph.proto = IPPROTO_TCP;
		ph.len = htons(20);
		{
			unsigned char buf[sizeof(ph) + 20];

			memcpy(buf, &ph, sizeof(ph));
			memcpy(buf + sizeof(ph), th, 20);
			th->check = csum(buf, sizeof(buf), 0);
		}
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, sizeof(dst)) > 0)
			sent++;
	}
	printf("%ld\n", sent);
	close(fd);
	return 0;
}
