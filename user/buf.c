// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"

void tt_buf_init(struct tt_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void tt_buf_reset(struct tt_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* Room for @n more bytes and the NUL; false (and b->err set) if there is none. */
static bool reserve(struct tt_buf *b, size_t n)
{
	size_t need = b->len + n + 1, cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->err)
		return false;
	if (need <= b->cap)
		return true;
	if (b->max && need > b->max) {
		b->err = -E2BIG;
		return false;
	}
	while (cap < need)
		cap *= 2;
	if (b->max && cap > b->max)
		cap = b->max;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void tt_buf_add(struct tt_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void tt_buf_puts(struct tt_buf *b, const char *s)
{
	tt_buf_add(b, s, strlen(s));
}

void tt_buf_printf(struct tt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* most lines fit what is left: format once, and again only after growing */
	if (!reserve(b, 0))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		b->p[b->len] = '\0';	/* what was cut off stays out */
		if (!reserve(b, n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
}

void tt_buf_free(struct tt_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
