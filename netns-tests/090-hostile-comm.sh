#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A process names itself with an escape sequence, quotes, a backslash, a
# newline and an invalid UTF-8 byte: the table shows it escaped, with no raw
# control byte, and the JSON stays valid for a real parser.
. "$(dirname "$0")/lib.sh"
setup_pair
EVIL=$'\e[31m"q\\\n\x9bz'
start_tracker -P 5017
"$TT" -P 5017 >"$WORK/table.txt" 2>"$WORK/err2.txt" &
TT2=$!
BG_PIDS+=($TT2)
wait_for "the second tcptrack to start tracing" 10 tracing "$WORK/err2.txt" $TT2
client "$NS_C" $S4 5017 -N "$EVIL"
[ "$CLI_RESULT" = ECONNREFUSED ] || die "client: $CLI_RESULT"
wait_for "the REFUSED line" 10 reported REFUSED:5017
wait_for "the REFUSED row" 10 has_lines "$WORK/table.txt" "REFUSED  $CLI_PID "
stop_tracker
kill -INT $TT2; wait $TT2
python3 - "$WORK/out.json" <<'PY' || fail "JSON: comm not parsed back as expected"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = '\x1b[31m"q\\\n\ufffdz'
got = [r["comm"] for r in rows if r["type"] == "REFUSED"]
sys.exit(0 if got == [want] else f"got {got!r}")
PY
grep "REFUSED  $CLI_PID " "$WORK/table.txt" | grep -qF ' \x1b[31m"q\\\x0a\x9bz ' ||
	{ fail "table: escaped name"; cat -v "$WORK/table.txt"; }
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$WORK/table.txt"; then
	fail "table: a raw control byte reached the output"
fi
expect_nothing_left
finish
