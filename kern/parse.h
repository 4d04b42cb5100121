/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet parsing for the wire view, shared by the TC and XDP programs: one
 * cursor, one bounds-checked step per header.
 */
#ifndef TT_PARSE_H
#define TT_PARSE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define IPPROTO_HOPOPTS	0
#define IPPROTO_ROUTING	43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS	60
#define IPPROTO_AH	51
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

#define TT_MAX_VLANS	2
#define TT_MAX_EXTHDRS	6

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10

/* Our own small header views: not every kernel's BTF has vlan_hdr or frag_hdr. */
struct tt_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct tt_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct tt_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

struct cursor {
	void *pos;
	void *end;
};

/* What the wire view needs from a TCP packet. */
struct pkt {
	__u16 family;
	__u16 sport;		/* host order */
	__u16 dport;
	__u8 flags;		/* TH_* */
	__u8 pad;
	__u32 seq;		/* host order */
	__u32 ack;
	void *l3;		/* the IP header, bounds already checked */
	__u8 saddr[16];		/* filled by load_addrs(), past the fast path */
	__u8 daddr[16];
};

enum parse_result { PARSE_TCP, PARSE_OTHER, PARSE_TRUNCATED };

/* Advances over @len bytes, returning the start, or NULL if they are not all there. */
static __always_inline void *pull(struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

static __always_inline int parse_eth(struct cursor *c, __u16 *proto)
{
	struct ethhdr *eth = pull(c, sizeof(*eth));
	int i;

	if (!eth)
		return PARSE_TRUNCATED;
	*proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < TT_MAX_VLANS; i++) {
		struct tt_vlan_hdr *vh;

		if (*proto != bpf_htons(ETH_P_8021Q) && *proto != bpf_htons(ETH_P_8021AD))
			break;
		vh = pull(c, sizeof(*vh));
		if (!vh)
			return PARSE_TRUNCATED;
		*proto = vh->proto;
	}
	return PARSE_TCP;
}

/* An IP header at @l3 whose payload is TCP: what parse_tcp() and load_addrs() go on from. */
static __always_inline int l3_found(struct pkt *p, __u16 family, void *l3)
{
	p->family = family;
	p->l3 = l3;
	return PARSE_TCP;
}

static __always_inline int parse_ipv4(struct cursor *c, struct pkt *p)
{
	struct iphdr *ip = pull(c, sizeof(*ip));
	__u32 hl;

	if (!ip)
		return PARSE_TRUNCATED;
	hl = ip->ihl * 4;
	if (hl < sizeof(*ip))
		return PARSE_OTHER;
	/* later fragments carry no TCP header */
	if (ip->protocol != IPPROTO_TCP || (ip->frag_off & bpf_htons(IP_OFFSET)))
		return PARSE_OTHER;
	if (hl > sizeof(*ip) && !pull(c, hl - sizeof(*ip)))
		return PARSE_TRUNCATED;
	return l3_found(p, AF_INET, ip);
}

static __always_inline int parse_ipv6(struct cursor *c, struct pkt *p)
{
	struct ipv6hdr *ip6 = pull(c, sizeof(*ip6));
	__u8 nh;
	int i;

	if (!ip6)
		return PARSE_TRUNCATED;
	nh = ip6->nexthdr;
	/* a bounded walk: the verifier needs it, and so do hostile packets */
#pragma unroll
	for (i = 0; i < TT_MAX_EXTHDRS; i++) {
		struct tt_opt_hdr *oh;
		__u32 hlen;

		if (nh == IPPROTO_TCP)
			break;
		if (nh == IPPROTO_FRAGMENT) {
			struct tt_frag_hdr *fh = pull(c, sizeof(*fh));

			if (!fh)
				return PARSE_TRUNCATED;
			if (fh->frag_off & bpf_htons(0xfff8))
				return PARSE_OTHER;	/* not the first fragment */
			nh = fh->nexthdr;
			continue;
		}
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_AH)
			return PARSE_OTHER;
		oh = pull(c, sizeof(*oh));
		if (!oh)
			return PARSE_TRUNCATED;
		/* AH counts 4-byte units minus 2, the other headers 8-byte units minus 1 */
		hlen = nh == IPPROTO_AH ? (oh->hdrlen + 2) * 4 : (oh->hdrlen + 1) * 8;
		if (!pull(c, hlen - sizeof(*oh)))
			return PARSE_TRUNCATED;
		nh = oh->nexthdr;
	}
	if (nh != IPPROTO_TCP)
		return PARSE_OTHER;
	return l3_found(p, AF_INET6, ip6);
}

static __always_inline int parse_tcp(struct cursor *c, struct pkt *p)
{
	struct tcphdr *th = pull(c, sizeof(*th));

	if (!th)
		return PARSE_TRUNCATED;
	p->sport = bpf_ntohs(th->source);
	p->dport = bpf_ntohs(th->dest);
	p->flags = ((__u8 *)th)[13];
	p->seq = bpf_ntohl(th->seq);
	p->ack = bpf_ntohl(th->ack_seq);
	return PARSE_TCP;
}

/*
 * The addresses, copied only for packets that get past the fast path: bulk
 * data never pays for them.
 */
static __always_inline void load_addrs(struct pkt *p)
{
	__builtin_memset(p->saddr, 0, sizeof(p->saddr));
	__builtin_memset(p->daddr, 0, sizeof(p->daddr));
	if (p->family == AF_INET) {
		struct iphdr *ip = p->l3;

		__builtin_memcpy(p->saddr, &ip->saddr, 4);
		__builtin_memcpy(p->daddr, &ip->daddr, 4);
	} else {
		struct ipv6hdr *ip6 = p->l3;

		__builtin_memcpy(p->saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	}
}

/* Ethernet (+VLAN) -> IPv4/IPv6 (+extension headers) -> TCP. */
static __always_inline int parse_packet(void *data, void *data_end, struct pkt *p)
{
	struct cursor c = { .pos = data, .end = data_end };
	__u16 proto;
	int ret;

	ret = parse_eth(&c, &proto);
	if (ret != PARSE_TCP)
		return ret;
	if (proto == bpf_htons(ETH_P_IP))
		ret = parse_ipv4(&c, p);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = parse_ipv6(&c, p);
	else
		return PARSE_OTHER;
	if (ret != PARSE_TCP)
		return ret;
	return parse_tcp(&c, p);
}

#endif /* TT_PARSE_H */
