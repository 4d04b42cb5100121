#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A server that closes first leaves an orphan socket; the kernel marks its
# CLOSE so the classifier holds it 10 ms, not 100 (docs/classification.md).
# Orderly, it stays a CLOSE; aborted after close() (TCP_LINGER2 -1 in
# FIN_WAIT2 sends an RST just after the CLOSE), it must still be a RESET.
. "$(dirname "$0")/lib.sh"
setup_pair
start_tracker -P 5045,5046
start_server "$NS_S" $S4 5045 -n 1 -m first
client "$NS_C" $S4 5045 -H
[ "$CLI_RESULT" = ok ] || die "client (first): $CLI_RESULT"
FIRST_SRV=$SRV_PID FIRST_CLI=$CLI_PID
start_server "$NS_S" $S4 5046 -n 1 -m linger2
client "$NS_C" $S4 5046 -H -w 400
ABORT_SRV=$SRV_PID ABORT_CLI=$CLI_PID
wait_for "both ends' CLOSE and RESET lines" 10 reported CLOSE:5045:2 RESET:5046:2
stop_tracker
expect_json "the server that closed first: a CLOSE" \
	"[.[] | select(.type==\"CLOSE\" and .pid==$FIRST_SRV and .sport==5045)] | length==1"
expect_json "and its client: a CLOSE" \
	"[.[] | select(.type==\"CLOSE\" and .pid==$FIRST_CLI and .dport==5045)] | length==1"
expect_json "no RESET on the orderly connection" \
	"[.[] | select(.type==\"RESET\" and (.sport==5045 or .dport==5045))] | length==0"
expect_json "the orphan's abort: RESET sent by the server" \
	"[.[] | select(.type==\"RESET\" and .pid==$ABORT_SRV and .rst==\"sent\" and .sport==5046)] | length==1"
expect_json "no CLOSE line for the aborted connection's server" \
	"[.[] | select(.type==\"CLOSE\" and .sport==5046)] | length==0"
expect_json "the client saw the reset" \
	"[.[] | select(.type==\"RESET\" and .pid==$ABORT_CLI and .rst==\"received\" and .dport==5046)] | length==1"
expect_nothing_left
finish
