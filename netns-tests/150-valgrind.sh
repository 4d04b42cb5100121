#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main binary under valgrind through a scenario with both views: no
# invalid access, no uninitialised use, no leak.  (tests/valgrind/bpf.supp
# silences valgrind's field-by-field checks of bpf(2) attributes inside
# libbpf, which zeroes the whole union itself.)
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || die "valgrind is not installed"
setup_pair
ip netns exec "$NS_S" valgrind --suppressions="$TOP/tests/valgrind/bpf.supp" --error-exitcode=7 \
	--leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	-q "$TT" -o json -i "$VETH_S" -P 7601 >"$WORK/out.json" 2>"$WORK/err.txt" &
TT_PID=$!
wait_for "tcptrack under valgrind to start tracing" 60 tracing "$WORK/err.txt" $TT_PID
start_server "$NS_S" $S4 7601 -n 1
client "$NS_C" $S4 7601 -s 100
[ "$CLI_RESULT" = ok ] || fail "client: $CLI_RESULT"
wait_for "the CONNECT line" 30 reported CONNECT:7601
stop_tracker
[ "$TT_RC" -eq 0 ] || { fail "valgrind exit status $TT_RC"; grep -v 'unhandled eBPF' "$WORK/err.txt" | head -40; }
expect_json "the scenario ran: CONNECT joined under valgrind" \
	"[.[] | select(.type==\"CONNECT\" and .view==\"both\" and .pid==$CLI_PID)] | length==1"
expect_iface_clean "$NS_S" "$VETH_S"
expect_nothing_left
finish
