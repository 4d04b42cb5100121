#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A successful IPv4 connection: CONNECT, ACCEPT and two CLOSEs, each with the
# right process, addresses, latency, duration and byte counts.
. "$(dirname "$0")/lib.sh"
setup_pair
start_tracker -P 5001
start_server "$NS_S" $S4 5001 -n 1
client "$NS_C" $S4 5001 -s 1000
[ "$CLI_RESULT" = ok ] || die "client: $CLI_RESULT"
# live: the lines are out while tcptrack still runs, not only at exit
poll_for 3 has_lines "$WORK/out.json" '"type":"CLOSE"' 2 || fail "events not written within 3 s"
stop_tracker
[ "$TT_RC" -eq 0 ] || fail "exit status $TT_RC after SIGINT"

expect_json "CONNECT by the client" \
	"[.[] | select(.type==\"CONNECT\" and .pid==$CLI_PID and .comm==\"tt-peer\" and .family==\"ipv4\"
	  and .saddr==\"$C4\" and .daddr==\"$S4\" and .dport==5001 and .sport>1024
	  and .lat_ms>0 and .lat_ms<1000 and .syns==1 and .view==\"sock\")] | length==1"
expect_json "ACCEPT by the server" \
	"[.[] | select(.type==\"ACCEPT\" and .pid==$SRV_PID and .comm==\"tt-peer\"
	  and .saddr==\"$S4\" and .sport==5001 and .daddr==\"$C4\"
	  and .lat_ms>0 and .lat_ms<1000 and .accept_wait_ms>=0)] | length==1"
expect_json "client CLOSE with 1000 bytes sent" \
	"[.[] | select(.type==\"CLOSE\" and .pid==$CLI_PID and .saddr==\"$C4\" and .dport==5001
	  and .bytes_sent==1000 and .bytes_recv==0 and .dur_ms>0 and .lat_ms==null and .reason==\"fin\")] | length==1"
expect_json "server CLOSE with 1000 bytes received" \
	"[.[] | select(.type==\"CLOSE\" and .pid==$SRV_PID and .sport==5001
	  and .bytes_recv==1000 and .bytes_sent==0)] | length==1"
expect_json "one CONNECT, one ACCEPT, two CLOSE and nothing else" \
	"[.[] | select(.type!=\"SUMMARY\") | .type] | sort == [\"ACCEPT\",\"CLOSE\",\"CLOSE\",\"CONNECT\"]"
expect_json "final summary: nothing active, 2 connections, no failures, nothing lost" \
	"last | .type==\"SUMMARY\" and .active==0 and .conn_rate>0 and .failure_pct==0 and .lost==0"
expect_json "times are RFC 3339 with microseconds" \
	"all(.[]; .time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{6}Z\$\"))"
expect_nothing_left
finish
