#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unreachable destinations: no route at all (connect() fails before a SYN
# leaves), and an ICMP host-unreachable answering the SYN; each once, also
# from a port the application bound itself.
. "$(dirname "$0")/lib.sh"
setup_pair
ip netns exec "$NS_S" nft -f - <<NFT || die "nft"
table inet tcptrack_test {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 5010 reject with icmpx type host-unreachable
	}
}
NFT
start_tracker -P 5009,5010
client "$NS_C" 10.99.0.1 5009
[ "$CLI_RESULT" = ENETUNREACH ] || die "client (no route): $CLI_RESULT"
NOROUTE_PID=$CLI_PID
client "$NS_C" $S4 5010
[ "$CLI_RESULT" = EHOSTUNREACH ] || die "client (ICMP): $CLI_RESULT"
ICMP_PID=$CLI_PID
client "$NS_C" 10.99.0.1 5009 -b 45009
[ "$CLI_RESULT" = ENETUNREACH ] || die "client (no route, bound port): $CLI_RESULT"
BOUND_NOROUTE_PID=$CLI_PID
client "$NS_C" $S4 5010 -b 45010
[ "$CLI_RESULT" = EHOSTUNREACH ] || die "client (ICMP, bound port): $CLI_RESULT"
BOUND_ICMP_PID=$CLI_PID
wait_for "the four UNREACH lines" 10 has_lines "$WORK/out.json" '"type":"UNREACH"' 4
stop_tracker
expect_json "UNREACH without a route" \
	"[.[] | select(.type==\"UNREACH\" and .pid==$NOROUTE_PID and .comm==\"tt-peer\" and .daddr==\"10.99.0.1\"
	  and .dport==5009 and .reason==\"no-route\" and .err==\"ENETUNREACH\")] | length==1"
expect_json "UNREACH from ICMP host-unreachable" \
	"[.[] | select(.type==\"UNREACH\" and .pid==$ICMP_PID and .saddr==\"$C4\" and .daddr==\"$S4\"
	  and .dport==5010 and .reason==\"host-unreachable\" and .err==\"EHOSTUNREACH\" and .syns>=1)] | length==1"
expect_json "UNREACH without a route, from a bound port: one line" \
	"[.[] | select(.pid==$BOUND_NOROUTE_PID)] | length==1 and
	 (.[0] | .type==\"UNREACH\" and .sport==45009 and .reason==\"no-route\" and .err==\"ENETUNREACH\")"
expect_json "UNREACH from ICMP, from a bound port: one line" \
	"[.[] | select(.pid==$BOUND_ICMP_PID)] | length==1 and
	 (.[0] | .type==\"UNREACH\" and .sport==45010 and .reason==\"host-unreachable\" and .syns>=1)"
expect_json "exactly four lines" "[.[] | select(.type!=\"SUMMARY\")] | length==4"
expect_nothing_left
finish
