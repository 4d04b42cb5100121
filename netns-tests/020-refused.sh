#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A SYN to a closed port is answered by RST: REFUSED for the client process.
. "$(dirname "$0")/lib.sh"
setup_pair
start_tracker -P 5002
client "$NS_C" $S4 5002
[ "$CLI_RESULT" = ECONNREFUSED ] || die "client: $CLI_RESULT"
wait_for "the REFUSED line" 10 reported REFUSED:5002
stop_tracker
expect_json "REFUSED by the client" \
	"[.[] | select(.type==\"REFUSED\" and .pid==$CLI_PID and .comm==\"tt-peer\"
	  and .saddr==\"$C4\" and .sport>1024 and .daddr==\"$S4\" and .dport==5002
	  and .lat_ms==null and .syns==1 and .err==\"ECONNREFUSED\" and .reason==\"refused\")] | length==1"
expect_json "nothing but the REFUSED" "[.[] | select(.type!=\"SUMMARY\")] | length==1"
expect_json "failure rate 100%" "last | .type==\"SUMMARY\" and .failure_pct==100 and .active==0"
expect_nothing_left
finish
