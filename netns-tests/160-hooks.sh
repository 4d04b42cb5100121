#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every accept hook variant, forced one at a time: those the running kernel
# offers must attribute an ACCEPT to the accepting process; the others must
# fail cleanly (exit 1, one line).  Prints "HOOK <variant> ran" lines, which
# scripts/check gathers over the host and the kernel matrix: each variant must
# run on at least one kernel.
. "$(dirname "$0")/lib.sh"
setup_pair
PORT=7701
KERNEL=$(uname -r)

# started_or_gone: tcptrack either traces or has exited (a hook this kernel lacks)
started_or_gone() {
	grep -q '^Tracing' "$WORK/err.txt" || ! kill -0 "$TT_PID" 2>/dev/null
}

for hook in fexit kprobe syscall listener; do
	"$TT" -o json --accept-hook $hook -P $PORT >"$WORK/out.json" 2>"$WORK/err.txt" &
	TT_PID=$!
	wait_for "tcptrack --accept-hook $hook to start tracing or exit" 15 started_or_gone
	if ! grep -q '^Tracing' "$WORK/err.txt"; then
		wait $TT_PID
		rc=$?
		TT_PID=
		[ "$rc" -eq 1 ] && [ "$(wc -l <"$WORK/err.txt")" -eq 1 ] ||
			fail "$hook unavailable but not a clean exit 1: exit $rc: $(cat "$WORK/err.txt")"
		echo "HOOK $hook unavailable on $KERNEL: $(cat "$WORK/err.txt")"
		skip_part "$hook: the kernel does not offer this hook"
		expect_nothing_left
		PORT=$((PORT + 1))
		continue
	fi
	start_server "$NS_S" $S4 $PORT -n 1
	client "$NS_C" $S4 $PORT
	[ "$CLI_RESULT" = ok ] || fail "$hook: client: $CLI_RESULT"
	wait_for "$hook: the ACCEPT and CONNECT lines" 10 reported ACCEPT:$PORT CONNECT:$PORT
	stop_tracker
	want=$hook
	[ $hook = kprobe ] && want=kretprobe
	expect_json "$hook: ACCEPT by the server process" \
		"[.[] | select(.type==\"ACCEPT\" and .pid==$SRV_PID and .comm==\"tt-peer\" and .hook==\"$want\")] | length==1"
	expect_json "$hook: CONNECT by the client" \
		"[.[] | select(.type==\"CONNECT\" and .pid==$CLI_PID)] | length==1"
	expect_nothing_left
	[ "$FAILS" -eq 0 ] && echo "HOOK $hook ran on $KERNEL"
	PORT=$((PORT + 1))
done

# What auto picks here, for the support table.
"$TT" -v -s -d 1 2>&1 | sed -n 's/^tcptrack: accept hook: /HOOK auto chose /p' | sed "s/\$/ on $KERNEL/"
finish
