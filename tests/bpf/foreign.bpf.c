// SPDX-License-Identifier: GPL-2.0
/* Someone else's TC program: tests check that tcptrack leaves it alone. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int foreign_pass(struct __sk_buff *skb)
{
	return -1;	/* TC_ACT_UNSPEC */
}

char LICENSE[] SEC("license") = "GPL";
