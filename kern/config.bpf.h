/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket view's settings, written by user space before load
 * (user/loader.c); the verifier prunes what they switch off.
 */
#ifndef TT_CONFIG_BPF_H
#define TT_CONFIG_BPF_H

#include "vmlinux.h"

/* The kernel-side namespace filter, a namespace's inode number; 0: any. */
const volatile __u32 targ_netns = 0;
/* The wire view is on: report the facts the joiner pairs with wire facts. */
const volatile bool wire_join = false;
/*
 * --accept-hook listener: no syscall tracepoints (they slow every syscall on
 * the host); an accept is reported when the handshake completes, attributed
 * to the process that called listen() on that port.
 */
const volatile bool accept_by_listener = false;
/*
 * Summary only, and nothing user space filters on: connections that open and
 * close in order are counted here (TT_CNT_CONNECTED, _ACCEPTED, _CLOSED)
 * instead of crossing the ring buffer.  Failures, resets and sockets the map
 * does not know still go out as facts, for the classifier.
 */
const volatile bool count_only = false;

#endif /* TT_CONFIG_BPF_H */
