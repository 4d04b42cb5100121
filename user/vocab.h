/* SPDX-License-Identifier: GPL-2.0 */
/* The words tcptrack reads and prints for its values: event types and errno names. */
#ifndef TT_VOCAB_H
#define TT_VOCAB_H

#include "tt.h"

/* "CONNECT", ...; "?" for a value outside enum tt_type. */
const char *tt_type_name(enum tt_type t);
/* The type named @s in any case, or -1. */
int tt_type_from_name(const char *s);
/* "ECONNREFUSED", ... for the errnos a connection reports; NULL for the others. */
const char *tt_errno_name(int err);

#endif
