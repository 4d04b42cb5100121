// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include "tt.h"

int tt_verbosity;

int tt_errf(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

void tt_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > tt_verbosity)
		return;
	va_start(ap, fmt);
	fputs("tcptrack: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
