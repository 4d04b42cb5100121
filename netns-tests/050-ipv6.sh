#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# IPv6 end to end, the table's [addr]:port form, and an IPv4 client accepted
# by a dual-stack (::) listener: IPv4-mapped addresses print as IPv4.
. "$(dirname "$0")/lib.sh"
setup_pair
start_tracker -P 5006,5007
start_server "$NS_S" $S6 5006 -n 1
client "$NS_C" $S6 5006 -s 10
[ "$CLI_RESULT" = ok ] || die "client v6: $CLI_RESULT"
start_server "$NS_S" :: 5007 -n 1
client "$NS_C" $S4 5007
[ "$CLI_RESULT" = ok ] || die "client v4 to dual-stack: $CLI_RESULT"
wait_for "the IPv6 and dual-stack lines" 10 reported CONNECT:5006 ACCEPT:5006 ACCEPT:5007
stop_tracker
expect_json "IPv6 CONNECT" \
	"[.[] | select(.type==\"CONNECT\" and .family==\"ipv6\" and .saddr==\"$C6\" and .daddr==\"$S6\"
	  and .dport==5006 and .lat_ms>0)] | length==1"
expect_json "IPv6 ACCEPT" \
	"[.[] | select(.type==\"ACCEPT\" and .family==\"ipv6\" and .saddr==\"$S6\" and .sport==5006)] | length==1"
expect_json "dual-stack ACCEPT of an IPv4 client prints IPv4" \
	"[.[] | select(.type==\"ACCEPT\" and .family==\"ipv4\" and .saddr==\"$S4\" and .daddr==\"$C4\" and .sport==5007)] | length==1"
expect_json "no IPv4-mapped address anywhere" "all(.[]; (.saddr // \"\") | startswith(\"::ffff:\") | not)"

# The table shows IPv6 endpoints as [addr]:port.
start_table_tracker -P 5008
start_server "$NS_S" $S6 5008 -n 1
client "$NS_C" $S6 5008
wait_for "the table's CONNECT row" 10 has_lines "$WORK/table.txt" " CONNECT +$CLI_PID "
stop_tracker
grep -Eq "^[0-9]{2}:[0-9]{2}:[0-9]{2} CONNECT +$CLI_PID +tt-peer +\[$C6\]:[0-9]+ +\[$S6\]:5008 +[0-9]+\.[0-9]+\$" \
	"$WORK/table.txt" || { fail "table row for IPv6 CONNECT"; cat "$WORK/table.txt"; }
expect_nothing_left
finish
