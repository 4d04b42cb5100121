#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# SIGUSR1 prints the footer on demand, as dd does: the totals since start, while tracing
# goes on; the last footer at exit still comes.
. "$(dirname "$0")/lib.sh"
setup_pair
start_tracker -P 5178
start_server "$NS_S" $S4 5178 -n 2
client "$NS_C" $S4 5178
[ "$CLI_RESULT" = ok ] || die "client: $CLI_RESULT"
wait_for "the first CONNECT and ACCEPT" 10 reported CONNECT:5178 ACCEPT:5178
kill -USR1 "$TT_PID"
wait_for "the footer SIGUSR1 asks for" 5 has_lines "$WORK/out.json" '"type":"SUMMARY"'
kill -0 "$TT_PID" 2>/dev/null || die "tcptrack ended on SIGUSR1"
client "$NS_C" $S4 5178
[ "$CLI_RESULT" = ok ] || die "second client: $CLI_RESULT"
wait_for "the second CONNECT and ACCEPT" 10 reported CONNECT:5178:2 ACCEPT:5178:2
stop_tracker
[ "$TT_RC" -eq 0 ] || fail "exit status $TT_RC after SIGINT"
expect_json "two footers: one on demand, the last at exit" \
	"[.[] | select(.type==\"SUMMARY\")] | length==2"
expect_json "the footer on demand counts the first connection" \
	"[.[] | select(.type==\"SUMMARY\")] | .[0].opened==2"
expect_json "the last footer counts both" "last | .type==\"SUMMARY\" and .opened==4"
expect_nothing_left
finish
