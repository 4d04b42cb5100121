#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A gateway: client -> gateway -> server, forwarding on, tcptrack attached to
# both of the gateway's interfaces and its socket view narrowed to the
# gateway's own namespace (where no socket takes part).  Forwarded flows are
# classified from the wire alone, once each although two interfaces see them,
# with PID "-" and the initiator as SADDR.
. "$(dirname "$0")/lib.sh"
NS_G=ttg-$ID
GW_C=tgc$ID	# gateway side towards the client
GW_S=tgs$ID	# gateway side towards the server
cleanup_gw() { ip netns del "$NS_G" 2>/dev/null; }
trap 'cleanup; cleanup_gw' EXIT

ip netns add "$NS_C" && ip netns add "$NS_S" && ip netns add "$NS_G" || die "ip netns add"
ip link add "$VETH_C" netns "$NS_C" type veth peer name "$GW_C" netns "$NS_G" || die "veth C"
ip link add "$VETH_S" netns "$NS_S" type veth peer name "$GW_S" netns "$NS_G" || die "veth S"
ip -n "$NS_C" addr add 10.241.0.2/24 dev "$VETH_C"
ip -n "$NS_G" addr add 10.241.0.1/24 dev "$GW_C"
ip -n "$NS_G" addr add 10.242.0.1/24 dev "$GW_S"
ip -n "$NS_S" addr add 10.242.0.2/24 dev "$VETH_S"
for ns in "$NS_C" "$NS_S" "$NS_G"; do ip -n "$ns" link set lo up; done
ip -n "$NS_C" link set "$VETH_C" up
ip -n "$NS_S" link set "$VETH_S" up
ip -n "$NS_G" link set "$GW_C" up
ip -n "$NS_G" link set "$GW_S" up
ip -n "$NS_C" route add default via 10.241.0.1
ip -n "$NS_S" route add default via 10.242.0.1
ip netns exec "$NS_G" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$NS_S" nft -f - <<NFT || die "nft"
table inet tcptrack_test {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 7203 drop
	}
}
NFT
ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_syn_retries=2
CLI=10.241.0.2
SRV=10.242.0.2

start_tracker_in "$NS_G" -i "$GW_C,$GW_S" --netns "$(netns_inode "$NS_G")" --syn-timeout 2 \
	-P 7201,7202,7203,7204
start_server "$NS_S" $SRV 7201 -n 1
client "$NS_C" $SRV 7201 -s 500
[ "$CLI_RESULT" = ok ] || die "client 7201: $CLI_RESULT"
client "$NS_C" $SRV 7202
[ "$CLI_RESULT" = ECONNREFUSED ] || die "client 7202: $CLI_RESULT"
client "$NS_C" $SRV 7203 -t 3500
[ "$CLI_RESULT" = ETIMEDOUT ] || die "client 7203: $CLI_RESULT"
start_server "$NS_S" $SRV 7204 -n 1 -m rst
client "$NS_C" $SRV 7204 -s 0
wait_for "every forwarded flow's lines" 10 reported CONNECT:7201 CLOSE:7201 REFUSED:7202 \
	TIMEOUT:7203 RESET:7204
stop_tracker
[ "$TT_RC" -eq 0 ] || fail "exit status $TT_RC"

expect_json "forwarded CONNECT: once although two interfaces saw it, PID -, initiator first" \
	"[.[] | select(.type==\"CONNECT\" and .dport==7201)] | length==1 and
	 (.[0] | .pid==null and .comm==null and .view==\"wire\" and .reason==\"forwarded\"
	  and .saddr==\"$CLI\" and .daddr==\"$SRV\" and .wire_lat_ms>0 and .lat_ms==.wire_lat_ms)"
expect_json "forwarded CLOSE: once" \
	"[.[] | select(.type==\"CLOSE\" and .dport==7201 and .view==\"wire\" and .saddr==\"$CLI\")] | length==1"
expect_json "forwarded REFUSED" \
	"[.[] | select(.type==\"REFUSED\" and .dport==7202 and .pid==null and .saddr==\"$CLI\" and .daddr==\"$SRV\")] | length==1"
expect_json "forwarded TIMEOUT after --syn-timeout, with the SYNs counted" \
	"[.[] | select(.type==\"TIMEOUT\" and .dport==7203)] | length==1 and
	 (.[0] | .pid==null and .view==\"wire\" and .syns>=2 and .reason==\"syn-timeout\")"
expect_json "forwarded RESET, sent by the responder" \
	"[.[] | select(.type==\"RESET\" and .dport==7204 and .rst==\"responder\")] | length==1"
expect_json "nothing from the socket view" "[.[] | select(.type!=\"SUMMARY\" and .view!=\"wire\")] | length==0"
expect_iface_clean "$NS_G" "$GW_C"
expect_iface_clean "$NS_G" "$GW_S"
expect_nothing_left
finish
