#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Faults: a fatal error after a partial attach, SIGKILL on every attach path
# (the next start reclaims what the netlink and XDP paths leave), an interface
# going down and up, the interface's namespace deleted, missing capabilities.
. "$(dirname "$0")/lib.sh"
setup_pair
PORT=7401

# A fatal error after the first interface was attached: nothing stays.
ip netns exec "$NS_S" "$TT" -i "$VETH_S,lo" --xdp -d 5 >/dev/null 2>"$WORK/err.txt"
rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l <"$WORK/err.txt")" -eq 1 ] && grep -q "on lo" "$WORK/err.txt" ||
	fail "partial attach: exit $rc: $(cat "$WORK/err.txt")"
expect_iface_clean "$NS_S" "$VETH_S"
expect_nothing_left

# SIGKILL: tcx links go with the process; netlink filters, our clsact and
# legacy XDP stay until the next start takes them back.
if kernel_has_tcx; then
	start_tracker_in "$NS_S" -i "$VETH_S" --tc-attach tcx
	kill -KILL "$TT_PID"; wait "$TT_PID" 2>/dev/null; TT_PID=
	# the kernel releases a killed process's links a moment later (what stays is reported next)
	poll_for 5 iface_clean "$NS_S" "$VETH_S"
	expect_iface_clean "$NS_S" "$VETH_S"
else
	skip_part "SIGKILL on tcx: the kernel has no tcx (Linux < 6.6)"
fi

start_tracker_in "$NS_S" -i "$VETH_S" --tc-attach netlink
kill -KILL "$TT_PID"; wait "$TT_PID" 2>/dev/null; TT_PID=
tc -n "$NS_S" filter show dev "$VETH_S" ingress | grep -q tt_tc_ingress ||
	fail "netlink: expected our filter to survive SIGKILL (test premise)"
start_tracker_in "$NS_S" -i "$VETH_S" --tc-attach netlink -P $PORT
start_server "$NS_S" $S4 $PORT -n 1
client "$NS_C" $S4 $PORT
wait_for "the CONNECT line" 10 reported CONNECT:$PORT
stop_tracker
expect_json "netlink after SIGKILL: one CONNECT, not two" \
	"[.[] | select(.type==\"CONNECT\" and .view==\"both\")] | length==1"
expect_iface_clean "$NS_S" "$VETH_S"
tc -n "$NS_S" qdisc show dev "$VETH_S" | grep -q clsact && fail "netlink after SIGKILL: clsact left"
PORT=$((PORT + 1))

start_tracker_in "$NS_S" -i "$VETH_S" --xdp
kill -KILL "$TT_PID"; wait "$TT_PID" 2>/dev/null; TT_PID=
ip -n "$NS_S" link show dev "$VETH_S" | grep -q xdp || fail "xdp: expected the program to survive SIGKILL (test premise)"
start_tracker_in "$NS_S" -i "$VETH_S" --xdp
stop_tracker
[ "$TT_RC" -eq 0 ] || fail "xdp after SIGKILL: exit status $TT_RC: $(cat "$WORK/err.txt")"
expect_iface_clean "$NS_S" "$VETH_S"
expect_nothing_left

# Down and up while tracing: no crash, no second attach, no duplicate lines.
start_tracker_in "$NS_S" -i "$VETH_S" -P $PORT
ip -n "$NS_S" link set "$VETH_S" down
# down long enough for tcptrack, which looks at its links every poll (50 ms), to see it
sleep 0.2
ip -n "$NS_S" link set "$VETH_S" up
wait_for "$VETH_S to be up again" 5 link_up "$NS_S" "$VETH_S"
start_server "$NS_S" $S4 $PORT -n 1
client "$NS_C" $S4 $PORT
[ "$CLI_RESULT" = ok ] || fail "client after down/up: $CLI_RESULT"
wait_for "the CONNECT line" 10 reported CONNECT:$PORT
kill -0 "$TT_PID" || fail "tcptrack died on down/up"
stop_tracker
expect_json "down/up: one CONNECT joined with the wire" \
	"[.[] | select(.type==\"CONNECT\" and .view==\"both\")] | length==1"
expect_iface_clean "$NS_S" "$VETH_S"
PORT=$((PORT + 1))

# Missing capabilities: one line naming the capability, exit 1.
ip netns exec "$NS_S" setpriv --bounding-set=-net_admin "$TT" -i "$VETH_S" -d 1 >/dev/null 2>"$WORK/err.txt"
rc=$?
[ "$rc" -eq 1 ] && grep -q "missing capability CAP_NET_ADMIN" "$WORK/err.txt" ||
	fail "no CAP_NET_ADMIN: exit $rc: $(cat "$WORK/err.txt")"
setpriv --bounding-set=-bpf,-sys_admin "$TT" -d 1 >/dev/null 2>"$WORK/err.txt"
rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l <"$WORK/err.txt")" -eq 1 ] && grep -q "missing capability CAP_BPF" "$WORK/err.txt" ||
	fail "no CAP_BPF: exit $rc: $(cat "$WORK/err.txt")"

# The namespace at the other end is deleted: the veth pair goes with it.
start_tracker_in "$NS_S" -i "$VETH_S"
ip netns del "$NS_C"
poll_for 5 has_lines "$WORK/err.txt" "interface $VETH_S disappeared" ||
	fail "vanished interface not reported"
kill -0 "$TT_PID" || fail "tcptrack died when the interface vanished"
stop_tracker
[ "$TT_RC" -eq 0 ] || fail "after the interface vanished: exit status $TT_RC"
expect_nothing_left
finish
