#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Connections established before tcptrack starts count as active (inet_diag
# in every namespace), and their close brings the count down again.
. "$(dirname "$0")/lib.sh"
setup_pair
start_server "$NS_S" $S4 5016 -n 1
# -s 0: the client sends nothing and waits for the server, which waits for it
ip netns exec "$NS_C" "$PEER" client $S4 5016 -s 0 -H >"$WORK/cli.out" &
CPID=$!
BG_PIDS+=($CPID)
wait_for "the connection to be established" 5 ss_has "$NS_C" state established "( dport = :5016 )"
start_tracker -P 5016 --interval 1
wait_for "the first periodic summary" 5 has_lines "$WORK/out.json" '"type":"SUMMARY"'
kill "$CPID"
wait "$CPID" 2>/dev/null
wait_for "both ends' close" 10 has_lines "$WORK/out.json" '"type":"(CLOSE|RESET)"' 2
stop_tracker
expect_json "first periodic summary: the two ends of the connection are active" \
	"[.[] | select(.type==\"SUMMARY\")][0].active==2"
expect_json "both ends close" "[.[] | select(.type==\"CLOSE\" or .type==\"RESET\")] | length==2"
expect_json "the client's close is attributed to it (seen at close())" \
	"[.[] | select((.type==\"CLOSE\" or .type==\"RESET\") and .pid==$CPID and .comm==\"tt-peer\")] | length==1"
expect_json "final summary: nothing active" "last | .type==\"SUMMARY\" and .active==0"
expect_nothing_left
finish
