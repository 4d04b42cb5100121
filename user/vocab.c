// SPDX-License-Identifier: GPL-2.0
/* Event type and errno names: one table each, for the parser and the outputs alike. */
#include <errno.h>
#include <strings.h>
#include "vocab.h"

static const char *const type_names[TT_NTYPES] = {
	[TT_CONNECT] = "CONNECT", [TT_ACCEPT] = "ACCEPT", [TT_CLOSE] = "CLOSE",
	[TT_REFUSED] = "REFUSED", [TT_TIMEOUT] = "TIMEOUT", [TT_RESET] = "RESET",
	[TT_UNREACH] = "UNREACH",
};

const char *tt_type_name(enum tt_type t)
{
	return (unsigned int)t < TT_NTYPES ? type_names[t] : "?";
}

int tt_type_from_name(const char *s)
{
	for (int i = 0; i < TT_NTYPES; i++)
		if (!strcasecmp(s, type_names[i]))
			return i;
	return -1;
}

static const char *const errno_names[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [EACCES] = "EACCES", [EPIPE] = "EPIPE",
	[EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL",
	[ENETDOWN] = "ENETDOWN", [ENETUNREACH] = "ENETUNREACH", [ECONNABORTED] = "ECONNABORTED",
	[ECONNRESET] = "ECONNRESET", [ETIMEDOUT] = "ETIMEDOUT", [ECONNREFUSED] = "ECONNREFUSED",
	[EHOSTDOWN] = "EHOSTDOWN", [EHOSTUNREACH] = "EHOSTUNREACH", [EPROTO] = "EPROTO",
	[EMSGSIZE] = "EMSGSIZE", [ENOPROTOOPT] = "ENOPROTOOPT", [ENOBUFS] = "ENOBUFS",
};

const char *tt_errno_name(int err)
{
	if (err > 0 && (size_t)err < sizeof(errno_names) / sizeof(errno_names[0]) &&
	    errno_names[err])
		return errno_names[err];
	return NULL;
}
