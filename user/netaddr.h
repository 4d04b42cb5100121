/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Addresses given on the command line: the metrics endpoint's [ADDR:]PORT
 * and the CIDR prefixes of --metrics-nets.  Numeric only, no name lookup.
 */
#ifndef TT_NETADDR_H
#define TT_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "tt.h"

#define TT_LISTEN_DEFAULT_ADDR	"127.0.0.1"
#define TT_CIDR_STR_MAX		48	/* "ffff:...:ffff/128" and its NUL fit */

/*
 * "[ADDR:]PORT": PORT alone is TT_LISTEN_DEFAULT_ADDR's; an IPv6 address is
 * bracketed ("[::1]:9100").  Port 0 asks the kernel for a free one.  0 or
 * -EINVAL.
 */
int tt_listen_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* "127.0.0.1:9100" or "[::1]:9100" */
void tt_sockaddr_str(const struct sockaddr_storage *ss, char *out, size_t outlen);

/*
 * "10.0.0.0/8" or "2001:db8::/32" (host bits are cleared): 0 or -EINVAL.
 * A bare address is a /32 or /128.
 */
int tt_cidr_parse(const char *s, struct tt_prefix *p);
/* The prefix as written back ("10.0.0.0/8"). */
void tt_cidr_str(const struct tt_prefix *p, char *out, size_t outlen);
bool tt_cidr_match(const struct tt_prefix *p, uint16_t family, const uint8_t *addr);

#endif
