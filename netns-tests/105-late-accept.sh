#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A server that calls accept() long after the handshake (600 ms, past the
# joiner's 200 ms window), with the wire view on.  The handshake must not
# also come out as a wire-only CONNECT:
# - both ends on this host: the client's CONNECT claims the handshake (the
#   responder then sends no PASSIVE_EST, kern/opened.bpf.h opened_take());
# - only the server's namespace watched (--netns): the client's CONNECT is
#   filtered out, so the responder's PASSIVE_EST must claim it.
. "$(dirname "$0")/lib.sh"
setup_pair

# late_accept DESC PORT [TRACKER ARGS...]: one connection accepted 600 ms late
late_accept() {
	local desc=$1 port=$2
	shift 2
	start_tracker_in "$NS_S" -i "$VETH_S" -P "$port" "$@"
	start_server "$NS_S" $S4 "$port" -n 1 -d 600
	client "$NS_C" $S4 "$port"
	[ "$CLI_RESULT" = ok ] || die "$desc: client: $CLI_RESULT"
	wait_for "$desc: the ACCEPT line" 10 reported ACCEPT:"$port"
	stop_tracker
	[ "$TT_RC" -eq 0 ] || fail "$desc: exit status $TT_RC"
}

late_accept "both ends" 7111
expect_json "both ends: one CONNECT, the client's, joined with the wire" \
	"[.[] | select(.type == \"CONNECT\")] | length == 1 and .[0].pid == $CLI_PID and .[0].view == \"both\""
expect_json "both ends: one ACCEPT, the server's, 600 ms in the accept queue" \
	"[.[] | select(.type == \"ACCEPT\")] | length == 1 and .[0].pid == $SRV_PID and .[0].accept_wait_ms >= 500"
expect_json "both ends: no wire-only line" \
	"[.[] | select(.type != \"SUMMARY\" and .view == \"wire\")] | length == 0"

# only the server's namespace: the client is someone else's
late_accept "--netns" 7112 --netns "$NS_S"
expect_json "--netns: no CONNECT line, the wire's handshake was claimed by the server" \
	"[.[] | select(.type == \"CONNECT\")] | length == 0"
expect_json "--netns: one ACCEPT, the server's, with the wire's latency" \
	"[.[] | select(.type == \"ACCEPT\")] | length == 1 and .[0].pid == $SRV_PID and .[0].view == \"both\""
expect_nothing_left
finish
