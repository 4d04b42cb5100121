/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Constants of the kernel's uapi that vmlinux.h cannot carry: they are
 * macros there, and BTF only knows types.
 */
#ifndef TT_NET_H
#define TT_NET_H

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_TCP	6
#define ENETUNREACH	101
#define EHOSTUNREACH	113

#endif /* TT_NET_H */
