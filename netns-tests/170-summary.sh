#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Summary only (-s): connections that open and close in order are counted in
# the kernel instead of crossing the ring buffer; failures and resets still go
# to the classifier.  The same traffic, traced once with rows and once as a
# summary, must give the same totals.
. "$(dirname "$0")/lib.sh"
setup_pair

# traffic BASE: 5 orderly connections to BASE+1, 1 refused at BASE+2, 1 reset
# by the server at BASE+3.  The servers start after tcptrack: an accept()
# already blocked when a fexit or kretprobe hook attaches returns unseen.
traffic() {
	start_server "$NS_S" $S4 $(($1 + 1)) -n 5
	start_server "$NS_S" $S4 $(($1 + 3)) -n 1 -m rst
	for _ in 1 2 3 4 5; do
		client "$NS_C" $S4 $(($1 + 1)) -s 100
		[ "$CLI_RESULT" = ok ] || die "client: $CLI_RESULT"
	done
	client "$NS_C" $S4 $(($1 + 2)) -s 0
	[ "$CLI_RESULT" = ECONNREFUSED ] || die "refused client: $CLI_RESULT"
	client "$NS_C" $S4 $(($1 + 3)) -s 0
	[ "$CLI_RESULT" = ECONNRESET ] || die "reset client: $CLI_RESULT"
	wait_for "every connection to $(($1 + 1))-$(($1 + 3)) to close" 10 \
		closed $(($1 + 1)) $(($1 + 2)) $(($1 + 3))
}

totals="last | .type==\"SUMMARY\" and .opened==12 and .failed==1 and .active==0 and .lost==0"

start_tracker -P 5011,5012,5013
traffic 5010
stop_tracker
expect_json "with rows: 5 x (CONNECT + ACCEPT) + the reset one's, 1 failure" "$totals"
expect_json "with rows: 12 CONNECT/ACCEPT lines" \
	"[.[] | select(.type==\"CONNECT\" or .type==\"ACCEPT\")] | length==12"

start_tracker -s -v -P 5021,5022,5023
grep -q 'counted in the kernel' "$WORK/err.txt" || fail "-s did not count in the kernel: $(cat "$WORK/err.txt")"
traffic 5020
stop_tracker
expect_json "summary only: the same totals" "$totals"
expect_json "summary only: no rows" "[.[] | select(.type!=\"SUMMARY\")] | length==0"

# a connection open across the start is seeded (2 ends), and its close seen
start_server "$NS_S" $S4 5014 -n 1
ip netns exec "$NS_C" "$PEER" client $S4 5014 -s 10 -H >"$WORK/long.out" 2>&1 &
HOLDER=$!
BG_PIDS+=($HOLDER)
wait_for "the connection to be established" 5 ss_has "$NS_C" state established "( dport = :5014 )"
start_tracker -s --interval 1 -P 5014
wait_for "the first periodic summary" 5 has_lines "$WORK/out.json" '"type":"SUMMARY"'
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
wait_for "both ends to close" 10 closed 5014
stop_tracker
expect_json "summary only: both ends of the connection open at start are active" \
	"[.[] | select(.type==\"SUMMARY\")] | first | .active==2"
expect_json "summary only: and are closed at the end" \
	"last | .type==\"SUMMARY\" and .active==0"
expect_nothing_left
finish
