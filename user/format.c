// SPDX-License-Identifier: GPL-2.0
/*
 * Numbers and addresses as text, without printf: the output path runs once
 * per event, and printf's format parsing would be most of its cost.
 */
#include <arpa/inet.h>
#include <string.h>
#include "format.h"

/* Two digits per division: half the divisions of one digit at a time. */
static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static const unsigned long long pow10[] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

size_t tt_fmt_int(char *buf, size_t n, long long v)
{
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
	size_t digits = 1, len;
	char *p;

	while (digits < sizeof(pow10) / sizeof(pow10[0]) && u >= pow10[digits])
		digits++;
	len = digits + (v < 0);
	if (len >= n) {
		/* cut to what fits, like snprintf(); no caller's buffer is that small */
		char tmp[24];

		tt_fmt_int(tmp, sizeof(tmp), v);
		len = n ? n - 1 : 0;
		memcpy(buf, tmp, len);
		if (n)
			buf[len] = '\0';
		return len;
	}
	/* the digits go straight to their place, from the right: no copy after */
	p = buf + len;
	*p = '\0';
	while (u >= 100) {
		unsigned int r = u % 100;

		u /= 100;
		p -= 2;
		memcpy(p, digit_pairs + 2 * r, 2);
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * u, 2);
	} else {
		*--p = '0' + u;
	}
	if (v < 0)
		*--p = '-';
	return len;
}

size_t tt_fmt_fixed(char *buf, double x, int decimals)
{
	unsigned long long scale = decimals == 1 ? 10 : 1000, u;
	size_t len;

	/* beyond any real duration, infinite or NaN: saturate, never a UB cast */
	if (!(x < 1e15))
		x = 1e15 - 1;
	u = (unsigned long long)(x * scale + 0.5);

	len = tt_fmt_int(buf, TT_FIXED_MAX, u / scale);
	buf[len++] = '.';
	for (unsigned long long d = scale / 10; d; d /= 10)
		buf[len++] = '0' + (u % scale) / d % 10;
	buf[len] = '\0';
	return len;
}

size_t tt_copy_str(char *buf, size_t n, const char *s)
{
	size_t len = strnlen(s, n - 1);

	memcpy(buf, s, len);
	buf[len] = '\0';
	return len;
}

static char *put_u8(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = '0' + v / 100;
	if (v >= 10)
		*p++ = '0' + v / 10 % 10;
	*p++ = '0' + v % 10;
	return p;
}

size_t tt_fmt_addr(const struct tt_key *k, bool local, char *out, size_t len)
{
	const uint8_t *a = local ? k->saddr : k->daddr;

	/* dotted quad by hand: glibc's inet_ntop() formats IPv4 with sprintf */
	if (k->family == AF_INET && len >= INET_ADDRSTRLEN) {
		char *p = out;

		for (int i = 0; i < 4; i++) {
			p = put_u8(p, a[i]);
			*p++ = i < 3 ? '.' : '\0';
		}
		return p - 1 - out;
	}
	if (!inet_ntop(k->family, a, out, len))
		return tt_copy_str(out, len, "?");
	return strlen(out);
}

size_t tt_fmt_endpoint(const struct tt_key *k, bool local, char *out, size_t len)
{
	static const uint8_t zero[16];
	uint16_t port = local ? k->sport : k->dport;
	bool v6 = k->family == AF_INET6;
	char a[INET6_ADDRSTRLEN], p[8];
	size_t pos = 0, alen, plen;

	if (!len)
		return 0;
	out[0] = '\0';
	/* A socket that never got a local address (connect() failed early). */
	if (local && !port && !memcmp(k->saddr, zero, 16)) {
		tt_put(out, len, &pos, "-", 1);
		return pos;
	}
	alen = tt_fmt_addr(k, local, a, sizeof(a));
	plen = tt_fmt_int(p, sizeof(p), port);
	tt_put(out, len, &pos, "[", v6);
	tt_put(out, len, &pos, a, alen);
	tt_put(out, len, &pos, "]:", v6 ? 2 : 0);
	tt_put(out, len, &pos, ":", !v6);
	tt_put(out, len, &pos, p, plen);
	return pos;
}
