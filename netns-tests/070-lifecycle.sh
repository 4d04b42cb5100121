#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every way out: SIGINT, SIGTERM, SIGHUP, --duration and a closed stdout pipe
# end with status 0, print the footer where stdout still works, and leave no
# BPF program loaded.  --interval prints periodic summaries.
. "$(dirname "$0")/lib.sh"
setup_pair

for sig in INT TERM HUP; do
	start_table_tracker -P 5012
	start_server "$NS_S" $S4 5012 -n 1
	client "$NS_C" $S4 5012
	wait_for "the CONNECT row" 10 has_lines "$WORK/table.txt" " CONNECT +$CLI_PID "
	stop_tracker $sig
	[ "$TT_RC" -eq 0 ] || fail "SIG$sig: exit status $TT_RC"
	tail -3 "$WORK/table.txt" | tr '\n' '|' |
		grep -Eq '^\[Active connections: 0\]\|\[Connection rate: [0-9]+\.[0-9]/s\]\|\[Failure rate: 0\.0%\]\|$' ||
		{ fail "SIG$sig: footer"; tail -4 "$WORK/table.txt"; }
	grep -Eq "^[0-9:]{8} CONNECT +$CLI_PID +tt-peer +$C4:[0-9]+ +$S4:5012 +[0-9]+\.[0-9]+\$" "$WORK/table.txt" ||
		{ fail "SIG$sig: CONNECT row"; cat "$WORK/table.txt"; }
	expect_nothing_left
done

# --duration ends by itself.
start=$(date +%s)
"$TT" -o json -d 2 -P 5013 >"$WORK/out.json" 2>"$WORK/err.txt"
rc=$?
[ "$rc" -eq 0 ] || fail "--duration: exit status $rc: $(cat "$WORK/err.txt")"
[ $(( $(date +%s) - start )) -le 12 ] || fail "--duration 2 took too long"
expect_json "--duration: a final summary" "last | .type==\"SUMMARY\""
expect_nothing_left

# --interval prints periodic summaries.
start_tracker -P 5014 --interval 1
# time is what is tested: one summary a second
sleep 2.5
stop_tracker
expect_json "--interval 1: at least three summaries in 2.5 s (two periodic, one final)" \
	"[.[] | select(.type==\"SUMMARY\")] | length>=3"

# A closed pipe: quiet end, status 0.
(
	"$TT" -P 5015 -d 20 2>"$WORK/pipe.err"
	echo $? >"$WORK/pipe.rc"
) | head -1 >"$WORK/pipe.out" &
BG_PIDS+=($!)
wait_for "tcptrack to start tracing" 10 has_lines "$WORK/pipe.err" '^Tracing'
start_server "$NS_S" $S4 5015 -n 3
for _ in 1 2 3; do client "$NS_C" $S4 5015; done
wait_for "tcptrack to end on the closed pipe" 10 test -s "$WORK/pipe.rc"
[ "$(cat "$WORK/pipe.rc" 2>/dev/null)" = 0 ] || fail "closed pipe: exit status '$(cat "$WORK/pipe.rc" 2>/dev/null)'"
[ "$(grep -vc '^Tracing' "$WORK/pipe.err")" -eq 0 ] || fail "closed pipe: noise on stderr: $(cat "$WORK/pipe.err")"
grep -q '^TIME' "$WORK/pipe.out" || fail "closed pipe: header missing"
expect_nothing_left
finish
