/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A growable text buffer with a ceiling: the metrics page is rendered into
 * one at scrape time.  Past the ceiling or out of memory it stops growing
 * and remembers it; the caller checks once at the end.
 */
#ifndef TT_BUF_H
#define TT_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct tt_buf {
	char *p;		/* NUL-terminated once anything was added */
	size_t len;
	size_t cap;
	size_t max;		/* the most it may hold; 0: no ceiling */
	int err;		/* 0, or -ENOMEM / -E2BIG once something did not fit */
};

void tt_buf_init(struct tt_buf *b, size_t max);
/* Empties @b and clears its error, keeping its memory. */
void tt_buf_reset(struct tt_buf *b);
void tt_buf_add(struct tt_buf *b, const char *s, size_t n);
void tt_buf_puts(struct tt_buf *b, const char *s);
void tt_buf_printf(struct tt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tt_buf_free(struct tt_buf *b);

#endif
