// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlabels.h"

int tt_mlabel_init(struct tt_mlabel *l, unsigned int cap)
{
	uint32_t slots = 2;

	memset(l, 0, sizeof(*l));
	if (!cap || cap > TT_MLABEL_CAP_MAX)
		return -EINVAL;
	/* at most half full: probes stay short */
	while (slots < 2 * (cap + 1))
		slots *= 2;
	l->vals = calloc(cap + 1, sizeof(*l->vals));
	l->slots = calloc(slots, sizeof(*l->slots));
	if (!l->vals || !l->slots) {
		tt_mlabel_free(l);
		return -ENOMEM;
	}
	l->cap = cap;
	l->mask = slots - 1;
	strcpy(l->vals[TT_MLABEL_OTHER_IDX], TT_MLABEL_OTHER);
	l->n = 1;
	return 0;
}

void tt_mlabel_free(struct tt_mlabel *l)
{
	free(l->vals);
	free(l->slots);
	memset(l, 0, sizeof(*l));
}

/* FNV-1a over the bytes kept */
static uint32_t str_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

unsigned int tt_mlabel_index(struct tt_mlabel *l, const char *v)
{
	size_t n = strnlen(v, TT_MLABEL_VALUE_MAX - 1);
	uint32_t i = str_hash(v, n) & l->mask;

	if (n == strlen(TT_MLABEL_OTHER) && !memcmp(v, TT_MLABEL_OTHER, n))
		return TT_MLABEL_OTHER_IDX;
	for (;; i = (i + 1) & l->mask) {
		uint32_t s = l->slots[i];

		if (!s)
			break;
		if (!strncmp(l->vals[s - 1], v, n) && !l->vals[s - 1][n])
			return s - 1;
	}
	if (l->n > l->cap) {
		l->overflow++;
		return TT_MLABEL_OTHER_IDX;
	}
	memcpy(l->vals[l->n], v, n);
	l->vals[l->n][n] = '\0';
	l->slots[i] = l->n + 1;
	return l->n++;
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

	if (p->family != family)
		return false;
	if (memcmp(p->addr, a, full))
		return false;
	return !rest || !((p->addr[full] ^ a[full]) & (0xff << (8 - rest)));
}
