#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# SYNs dropped by an nftables rule on the server side: the kernel gives up
# (ETIMEDOUT after tcp_syn_retries=1), or the application gives up on its own
# after one retransmission.  Both are TIMEOUT with the number of SYNs sent.
. "$(dirname "$0")/lib.sh"
setup_pair
ip netns exec "$NS_S" nft -f - <<NFT || die "nft"
table inet tcptrack_test {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport { 5003, 5004 } drop
	}
}
NFT
ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_syn_retries=1
# Count the SYNs on the wire too: the kernel's figure must match it.
ip netns exec "$NS_S" tcpdump -i "$VETH_S" -n -l -w "$WORK/syn.pcap" \
	'tcp[tcpflags] & tcp-syn != 0 and dst port 5003' 2>"$WORK/tcpdump.err" &
BG_PIDS+=($!)
TCPDUMP_PID=$!
wait_for "tcpdump to listen" 5 has_lines "$WORK/tcpdump.err" listening
start_tracker -P 5003,5004
client "$NS_C" $S4 5003
[ "$CLI_RESULT" = ETIMEDOUT ] || die "client (kernel timeout): $CLI_RESULT"
client "$NS_C" $S4 5004 -t 1500
[ "$CLI_RESULT" = ETIMEDOUT ] || die "client (own timeout): $CLI_RESULT"
APP_PID=$CLI_PID
wait_for "both TIMEOUT lines" 10 reported TIMEOUT:5003 TIMEOUT:5004
stop_tracker
kill -INT $TCPDUMP_PID; wait $TCPDUMP_PID 2>/dev/null
WIRE_SYNS=$(tcpdump -n -r "$WORK/syn.pcap" 2>/dev/null | wc -l)
[ "$WIRE_SYNS" -ge 2 ] || fail "tcpdump saw $WIRE_SYNS SYNs, expected at least 2"
expect_json "TIMEOUT after the kernel gave up, SYN count as on the wire" \
	"[.[] | select(.type==\"TIMEOUT\" and .dport==5003 and .comm==\"tt-peer\" and .syns==$WIRE_SYNS
	  and .reason==\"syn-timeout\" and .err==\"ETIMEDOUT\" and .dur_ms>2500)] | length==1"
expect_json "TIMEOUT after the application gave up (2 SYNs, ~1.5 s)" \
	"[.[] | select(.type==\"TIMEOUT\" and .pid==$APP_PID and .dport==5004 and .syns==2
	  and .reason==\"app-timeout\" and .dur_ms>1400 and .dur_ms<3000)] | length==1"
expect_json "failure rate 100%" "last | .type==\"SUMMARY\" and .failure_pct==100"
expect_nothing_left
finish
