#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The server aborts an established connection (SO_LINGER 0): RESET sent on
# the server, RESET received on the client.
. "$(dirname "$0")/lib.sh"
setup_pair
start_tracker -P 5005
start_server "$NS_S" $S4 5005 -n 1 -m rst
client "$NS_C" $S4 5005 -s 0
[ "$CLI_RESULT" = ECONNRESET ] || die "client: $CLI_RESULT"
wait_for "the RESET lines of both ends" 10 reported RESET:5005:2
stop_tracker
expect_json "CONNECT before the reset" \
	"[.[] | select(.type==\"CONNECT\" and .pid==$CLI_PID)] | length==1"
expect_json "RESET received by the client" \
	"[.[] | select(.type==\"RESET\" and .pid==$CLI_PID and .rst==\"received\" and .saddr==\"$C4\"
	  and .dport==5005 and .dur_ms>=0)] | length==1"
expect_json "RESET sent by the server" \
	"[.[] | select(.type==\"RESET\" and .pid==$SRV_PID and .rst==\"sent\" and .sport==5005)] | length==1"
expect_json "no CLOSE line for an aborted connection" "[.[] | select(.type==\"CLOSE\")] | length==0"
expect_nothing_left
finish
