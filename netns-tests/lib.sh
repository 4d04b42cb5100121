# SPDX-License-Identifier: GPL-2.0
# Shared by the netns scenarios: two namespaces joined by a veth pair, the
# tracker's lifecycle and JSON assertions.  Every name carries this shell's
# PID; everything is removed on every exit path (trap EXIT).
#
# Topology:   ns $NS_C  [$VETH_C 10.231.0.1 fd00:231::1]
#                 <-- veth -->
#             ns $NS_S  [$VETH_S 10.231.0.2 fd00:231::2]

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TT=${TT:-$TOP/build/tcptrack}
PEER=${PEER:-$TOP/build/tt-peer}
ID=$$
NS_C=ttc-$ID
NS_S=tts-$ID
VETH_C=ttc$ID
VETH_S=tts$ID
C4=10.231.0.1
S4=10.231.0.2
C6=fd00:231::1
S6=fd00:231::2
WORK=$(mktemp -d /tmp/tcptrack-test.XXXXXX)
NAME=$(basename "$0" .sh)
BG_PIDS=()
TT_PID=
FAILS=0

cleanup() {
	local p
	for p in ${TT_PID:-} "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL $NAME: $*"
	FAILS=$((FAILS + 1))
}

die() {
	fail "$*"
	[ -f "$WORK/err.txt" ] && sed 's/^/    tcptrack: /' "$WORK/err.txt"
	exit 1
}

setup_pair() {
	ip netns add "$NS_C" || die "ip netns add $NS_C"
	ip netns add "$NS_S" || die "ip netns add $NS_S"
	ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S" ||
		die "ip link add veth"
	ip -n "$NS_C" addr add $C4/24 dev "$VETH_C"
	ip -n "$NS_S" addr add $S4/24 dev "$VETH_S"
	ip -n "$NS_C" addr add $C6/64 dev "$VETH_C" nodad
	ip -n "$NS_S" addr add $S6/64 dev "$VETH_S" nodad
	for ns in "$NS_C" "$NS_S"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_C" link set "$VETH_C" up
	ip -n "$NS_S" link set "$VETH_S" up
}

netns_inode() {
	stat -L -c %i "/var/run/netns/$1"
}

# start_tracker [ARGS...]: JSON to $WORK/out.json; returns once tracing is live.
start_tracker() {
	start_tracker_in "" "$@"
}

# stop_tracker [SIGNAL]: sets TT_RC.
stop_tracker() {
	kill -"${1:-INT}" "$TT_PID" 2>/dev/null
	wait "$TT_PID"
	TT_RC=$?
	TT_PID=
}

# start_server NS ADDR PORT [ARGS...]: sets SRV_PID once it listens.
start_server() {
	local ns=$1 out="$WORK/srv.$3"
	shift
	ip netns exec "$ns" "$PEER" server "$@" >"$out" 2>&1 &
	BG_PIDS+=($!)
	for _ in $(seq 1 100); do
		if grep -q '^ready' "$out" 2>/dev/null; then
			SRV_PID=$(awk '/^ready/ {print $2}' "$out")
			return 0
		fi
		sleep 0.05
	done
	die "server on port $2 did not start: $(cat "$out")"
}

# client NS ADDR PORT [ARGS...]: sets CLI_PID and CLI_RESULT.
client() {
	local ns=$1 line
	shift
	line=$(ip netns exec "$ns" "$PEER" client "$@")
	CLI_PID=${line%% *}
	CLI_RESULT=${line#* }
}

# expect_json DESCRIPTION JQ_FILTER: the filter runs over the array of all lines.
expect_json() {
	if ! jq -s -e "$2" "$WORK/out.json" >/dev/null 2>&1; then
		fail "$1"
		echo "    filter: $2"
		sed 's/^/    out: /' "$WORK/out.json" | head -20
	fi
}

# Nothing of ours may stay loaded once tcptrack has exited.
# (The kernel may free a program a moment after its last user exits: allow 2 s.)
expect_nothing_left() {
	local progs
	for _ in $(seq 1 20); do
		progs=$(bpftool prog show 2>/dev/null | grep -cE 'name (tt_set_state|tt_send_reset|tt_exit_accept|tt_exit_connect|tt_accept_|tt_retransmit|tt_connect|tt_tc_|tt_xdp_)')
		[ "$progs" -eq 0 ] && return 0
		sleep 0.1
	done
	fail "$progs tcptrack BPF programs still loaded after exit: $(bpftool prog show 2>/dev/null | grep -oE 'name tt_[a-z0-9_]+' | tr '\n' ' ')"
}

finish() {
	if [ "$FAILS" -eq 0 ]; then
		echo "PASS $NAME"
		exit 0
	fi
	exit 1
}

# start_tracker_in NS [ARGS...]: like start_tracker, but inside a namespace (to
# attach to its interfaces; "" = this one).  tcptrack still sees every
# namespace's sockets.
start_tracker_in() {
	local ns=$1
	shift
	# emptied here: the background job truncates them only once it runs
	: >"$WORK/out.json"
	: >"$WORK/err.txt"
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$TT" -o json "$@" >"$WORK/out.json" 2>"$WORK/err.txt" &
	else
		"$TT" -o json "$@" >"$WORK/out.json" 2>"$WORK/err.txt" &
	fi
	TT_PID=$!
	for _ in $(seq 1 200); do
		grep -q '^Tracing' "$WORK/err.txt" 2>/dev/null && return 0
		kill -0 "$TT_PID" 2>/dev/null || die "tcptrack exited before tracing"
		sleep 0.05
	done
	die "tcptrack did not start tracing within 10 s"
}

# Nothing of ours on an interface once tcptrack has exited.
expect_iface_clean() {
	local ns=$1 dev=$2 out
	out=$(ip netns exec "$ns" tc filter show dev "$dev" ingress 2>/dev/null; ip netns exec "$ns" tc filter show dev "$dev" egress 2>/dev/null)
	[ -z "$out" ] || fail "tc filters left on $dev: $out"
	ip -n "$ns" link show dev "$dev" | grep -q 'xdp' && fail "XDP program left on $dev"
	out=$(bpftool link show 2>/dev/null | grep -E 'tcx|xdp' | grep -c "ifindex $(ip -n "$ns" -o link show dev "$dev" | cut -d: -f1) ")
	[ "$out" -eq 0 ] || fail "$out BPF links left on $dev"
	out=$(bpftool prog show 2>/dev/null | grep -cE 'name (tt_tc_ingress|tt_tc_egress|tt_xdp_ingress)')
	[ "$out" -eq 0 ] || fail "$out wire BPF programs still loaded"
}
