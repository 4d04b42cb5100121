// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netaddr.h"

int tt_listen_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	const char *port = s, *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN] = TT_LISTEN_DEFAULT_ADDR;
	bool v6 = false;
	unsigned long p;
	char *end;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (colon) {
		port = colon + 1;
		n = colon - s;
		/* an IPv6 address is bracketed, so that its colons are not the port's */
		if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
			v6 = true;
			s++;
			n -= 2;
		}
		if (!n || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (*port < '0' || *port > '9')
		return -EINVAL;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || p > 65535)
		return -EINVAL;
	if (!v6 && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(p);
		*len = sizeof(*in);
		return 0;
	}
	if (v6 && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

void tt_sockaddr_str(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, ntohs(in->sin_port));
	}
}

int tt_cidr_parse(const char *s, struct tt_prefix *p)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	int max, full, rest;
	char *end;

	memset(p, 0, sizeof(*p));
	if (!n || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;
	max = p->family == AF_INET ? 32 : 128;
	len = max;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		len = strtoul(slash + 1, &end, 10);
		if (*end || len > (unsigned long)max)
			return -EINVAL;
	}
	p->len = len;
	full = len / 8;
	rest = len % 8;
	if (rest)
		p->addr[full++] &= 0xff << (8 - rest);
	memset(p->addr + full, 0, 16 - full);
	return 0;
}

void tt_cidr_str(const struct tt_prefix *p, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(out, outlen, "%s/%u", a, p->len);
}

bool tt_cidr_match(const struct tt_prefix *p, uint16_t family, const uint8_t *a)
{
	int full = p->len / 8, rest = p->len % 8;

	if (p->family != family || p->len > (family == AF_INET ? 32 : 128))
		return false;
	if (memcmp(p->addr, a, full))
		return false;
	return !rest || !((p->addr[full] ^ a[full]) & (0xff << (8 - rest)));
}
