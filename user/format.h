/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text without printf, for the per-event output path: bounded appends,
 * integers, fixed point and addresses.  Every function writes a NUL.
 */
#ifndef TT_FORMAT_H
#define TT_FORMAT_H

#include <string.h>
#include "tt.h"

/* Room tt_fmt_fixed() needs: a 16-digit integer part, the point, 3 decimals, the NUL. */
#define TT_FIXED_MAX 24

/* Appends @n bytes to out[*pos], keeping room for the NUL; drops the piece if it does not fit. */
static inline void tt_put(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
	if (*pos + n >= outlen)
		return;
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = '\0';
}

/* Decimal @v into @buf (@n bytes), cut to fit like snprintf(); returns the length. */
size_t tt_fmt_int(char *buf, size_t n, long long v);
/* @x >= 0 with @decimals (1 or 3) digits, rounded half up; @buf has TT_FIXED_MAX bytes. */
size_t tt_fmt_fixed(char *buf, double x, int decimals);
/* At most @n - 1 bytes of @s; returns the length. */
size_t tt_copy_str(char *buf, size_t n, const char *s);
/* The local (@local) or remote address of @k, without the port. */
size_t tt_fmt_addr(const struct tt_key *k, bool local, char *out, size_t len);
/* "addr:port" or "[addr]:port"; "-" for a local end that never got an address. */
size_t tt_fmt_endpoint(const struct tt_key *k, bool local, char *out, size_t len);

#endif
