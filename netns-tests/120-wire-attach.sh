#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every attach path, and leaving like a guest: tcx, clsact through netlink
# (our qdisc removed, someone else's qdisc and filter kept), XDP native and
# skb, an attached interface deleted while tracing, and SIGTERM / --duration.
. "$(dirname "$0")/lib.sh"
setup_pair
PORT=7301

# one_connection ARGS...: a run with the given attach options; checks the join.
one_connection() {
	local desc=$1
	shift
	start_tracker_in "$NS_S" -i "$VETH_S" -P $PORT "$@"
	start_server "$NS_S" $S4 $PORT -n 1
	client "$NS_C" $S4 $PORT
	[ "$CLI_RESULT" = ok ] || die "$desc: client: $CLI_RESULT"
	wait_for "$desc: the CONNECT and ACCEPT lines" 10 reported CONNECT:$PORT ACCEPT:$PORT
	stop_tracker
	[ "$TT_RC" -eq 0 ] || fail "$desc: exit status $TT_RC"
	expect_json "$desc: CONNECT joined with the wire" \
		"[.[] | select(.type==\"CONNECT\" and .pid==$CLI_PID and .view==\"both\" and .wire_lat_ms>0)] | length==1"
	expect_json "$desc: ACCEPT joined with the wire" \
		"[.[] | select(.type==\"ACCEPT\" and .view==\"both\")] | length==1"
	[ "${KEEP_QDISC:-}" ] || expect_iface_clean "$NS_S" "$VETH_S"
	PORT=$((PORT + 1))
}

# tcx exists from Linux 6.6 on: elsewhere auto must fall back to clsact
if kernel_has_tcx; then
	one_connection "tcx" --tc-attach tcx
	grep -q 'wire view on tcx' "$WORK/err.txt" || fail "tcx: not announced"
	echo "TCPATH tcx available"
else
	skip_part "tcx attach: the kernel has no tcx (Linux < 6.6)"
	one_connection "auto without tcx"
	grep -q 'wire view on clsact' "$WORK/err.txt" || fail "auto without tcx: clsact not chosen"
	tc -n "$NS_S" qdisc show dev "$VETH_S" | grep -q clsact && fail "auto without tcx: clsact left"
	echo "TCPATH tcx unavailable, auto chose clsact"
fi

one_connection "netlink" --tc-attach netlink
grep -q 'wire view on clsact' "$WORK/err.txt" || fail "netlink: not announced"
ip -n "$NS_S" link show dev "$VETH_S" >/dev/null
tc -n "$NS_S" qdisc show dev "$VETH_S" | grep -q clsact && fail "netlink: our clsact qdisc was left behind"

# Someone else's clsact and filter: used, never removed.
tc -n "$NS_S" qdisc add dev "$VETH_S" clsact
tc -n "$NS_S" filter add dev "$VETH_S" ingress pref 10 bpf da obj "$TOP/build/foreign.bpf.o" sec tc ||
	die "foreign filter"
KEEP_QDISC=1 one_connection "netlink, foreign clsact" --tc-attach netlink
tc -n "$NS_S" qdisc show dev "$VETH_S" | grep -q clsact || fail "foreign clsact qdisc removed"
tc -n "$NS_S" filter show dev "$VETH_S" ingress | grep -q foreign || fail "foreign filter removed"
tc -n "$NS_S" filter show dev "$VETH_S" ingress | grep -q tt_tc && fail "our filter left next to the foreign one"
tc -n "$NS_S" qdisc del dev "$VETH_S" clsact

one_connection "xdp native" --xdp
grep -q 'wire view on xdp+' "$WORK/err.txt" || fail "xdp: not announced"
one_connection "xdp skb" --xdp=skb

# An attached interface disappears: reported, and tracing goes on.
ip -n "$NS_S" link add "tdm$ID" type veth peer name "tdn$ID"
ip -n "$NS_S" link set "tdm$ID" up
start_tracker_in "$NS_S" -i "$VETH_S,tdm$ID" -P $PORT
ip -n "$NS_S" link del "tdm$ID"
poll_for 5 has_lines "$WORK/err.txt" "interface tdm$ID disappeared" ||
	fail "deleted interface not reported"
start_server "$NS_S" $S4 $PORT -n 1
client "$NS_C" $S4 $PORT
wait_for "the CONNECT line" 10 reported CONNECT:$PORT
stop_tracker
[ "$TT_RC" -eq 0 ] || fail "after a deleted interface: exit status $TT_RC"
expect_json "tracing went on after the interface was deleted" \
	"[.[] | select(.type==\"CONNECT\" and .view==\"both\")] | length==1"
expect_iface_clean "$NS_S" "$VETH_S"
PORT=$((PORT + 1))

# SIGTERM and --duration end cleanly too.
start_tracker_in "$NS_S" -i "$VETH_S" -P $PORT
stop_tracker TERM
[ "$TT_RC" -eq 0 ] || fail "SIGTERM: exit status $TT_RC"
expect_iface_clean "$NS_S" "$VETH_S"
ip netns exec "$NS_S" "$TT" -i "$VETH_S" -d 1 -s >/dev/null 2>&1 || fail "--duration: non-zero exit"
expect_iface_clean "$NS_S" "$VETH_S"

# An unknown interface is a usage error that names it; nothing is loaded.
ip netns exec "$NS_S" "$TT" -i nosuch0 -d 1 >/dev/null 2>"$WORK/err.txt"
rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown interface 'nosuch0'" "$WORK/err.txt" ||
	fail "unknown interface: exit $rc: $(cat "$WORK/err.txt")"
expect_nothing_left
finish
