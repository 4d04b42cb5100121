# SPDX-License-Identifier: GPL-2.0
# Shared by the netns scenarios: two namespaces joined by a veth pair, the
# tracker's lifecycle and JSON assertions.  Every name carries this shell's
# PID; everything is removed on every exit path (trap EXIT).
#
# A scenario ends in finish (exit 0 when nothing failed, else 1), die (exit 1) or
# skip (exit 77: the kernel cannot run it; scripts/check counts it as skipped).
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

# skip REASON: this kernel cannot run the scenario at all.
skip() {
	echo "SKIP $NAME: $*"
	exit 77
}

# skip_part REASON: this kernel cannot run one part of the scenario; the rest runs.
skip_part() {
	echo "SKIP $NAME: $*"
}

# poll_for SECONDS COMMAND [ARGS...]: runs COMMAND every 50 ms until it succeeds (status 0)
# or SECONDS (5, 0.5) run out (status 1, for the caller to report).  The bound counts polls:
# on a slow machine (qemu) a poll takes longer, and the wait with it.
poll_for() {
	local secs=$1 whole frac n
	shift
	whole=${secs%.*}
	frac=
	[[ $secs == *.* ]] && frac=${secs#*.}
	frac=${frac}000
	n=$(((${whole:-0} * 1000 + 10#${frac:0:3}) / 50))
	until "$@"; do
		[ "$n" -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.05
	done
}

# wait_for DESCRIPTION SECONDS COMMAND [ARGS...]: poll_for, and dies when SECONDS run out.
wait_for() {
	local what=$1 secs=$2
	shift 2
	poll_for "$secs" "$@" || die "timed out after $secs s waiting for $what"
}

# Conditions to wait for.

# has_lines FILE REGEX [N]: FILE has at least N (default 1) lines matching REGEX (ERE).
has_lines() {
	local n
	n=$(grep -cE -- "$2" "$1" 2>/dev/null)
	[ "${n:-0}" -ge "${3:-1}" ]
}

# reported TYPE:PORT[:N]...: $WORK/out.json has, for each, at least N (default 1) lines of
# that type with PORT as their sport or dport.
reported() {
	local spec type port n filter=true
	for spec in "$@"; do
		IFS=: read -r type port n <<<"$spec"
		filter+=" and ([.[] | select(.type == \"$type\" and
			(.sport == $port or .dport == $port))] | length >= ${n:-1})"
	done
	jq -s -e "$filter" "$WORK/out.json" >/dev/null 2>&1
}

# tracing ERRFILE PID: tcptrack (PID) said it traces; dies when it exited without that.
tracing() {
	grep -q '^Tracing' "$1" 2>/dev/null && return 0
	kill -0 "$2" 2>/dev/null || grep -q '^Tracing' "$1" || die "tcptrack exited before tracing"
	return 1
}

# listening OUTFILE PID: the tt-peer server (PID) said "ready"; dies when it exited first.
listening() {
	grep -q '^ready' "$1" 2>/dev/null && return 0
	kill -0 "$2" 2>/dev/null || grep -q '^ready' "$1" || die "server exited: $(cat "$1")"
	return 1
}

# ss_has NS FILTER...: ss -Htn lists at least one TCP socket in NS for FILTER.
ss_has() {
	local ns=$1
	shift
	ip netns exec "$ns" ss -Htn "$@" | grep -q .
}

# closed PORT...: in neither namespace is a TCP socket on a PORT still open (TIME-WAIT and
# LISTEN aside): the kernel has made every close, and tcptrack's ring buffer holds its facts.
closed() {
	local p f=
	for p in "$@"; do
		f="$f${f:+ or }sport = :$p or dport = :$p"
	done
	! ss_has "$NS_C" exclude time-wait exclude listening "( $f )" &&
		! ss_has "$NS_S" exclude time-wait exclude listening "( $f )"
}

# idle PID: PID has used no CPU time for two polls in a row (a reader that caught up with
# its ring buffer); the time is counted in clock ticks, which a busy process adds every poll.
idle() {
	local t
	t=$1:$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null)
	if [ "$t" = "${IDLE_LAST:-}" ]; then
		IDLE_SAME=$((IDLE_SAME + 1))
	else
		IDLE_LAST=$t
		IDLE_SAME=0
	fi
	[ "$IDLE_SAME" -ge 2 ]
}

# kernel_has_tcx: the running kernel has tcx links (Linux 6.6, CONFIG_NET_XGRESS).  Asked of
# the kernel, not of tcptrack: a tcptrack that fails on tcx must fail, not skip.
kernel_has_tcx() {
	grep -qw tcx_prog_attach /proc/kallsyms
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

# start_table_tracker [ARGS...]: like start_tracker, but the table, to $WORK/table.txt.
start_table_tracker() {
	launch_tracker "" "$WORK/table.txt" "$@"
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
	wait_for "the server on port $2 to listen" 5 listening "$out" $!
	SRV_PID=$(awk '/^ready/ {print $2}' "$out")
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

# our_progs: the number of tcptrack BPF programs loaded
our_progs() {
	bpftool prog show 2>/dev/null | grep -cE 'name (tt_set_state|tt_send_reset|tt_exit_accept|tt_exit_connect|tt_accept_|tt_retransmit|tt_connect|tt_tc_|tt_xdp_)'
}

no_progs_left() {
	[ "$(our_progs)" -eq 0 ]
}

# Nothing of ours may stay loaded once tcptrack has exited.
# (The kernel may free a program a moment after its last user exits: allow 2 s.)
expect_nothing_left() {
	poll_for 2 no_progs_left ||
		fail "$(our_progs) tcptrack BPF programs still loaded after exit: $(bpftool prog show 2>/dev/null | grep -oE 'name tt_[a-z0-9_]+' | tr '\n' ' ')"
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
	launch_tracker "$ns" "$WORK/out.json" -o json "$@"
}

# launch_tracker NS OUTFILE [ARGS...]: tcptrack in NS ("" = this one), stdout to OUTFILE,
# stderr to $WORK/err.txt; sets TT_PID once tracing is live.
launch_tracker() {
	local ns=$1 out=$2
	shift 2
	# emptied here: the background job truncates them only once it runs
	: >"$out"
	: >"$WORK/err.txt"
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$TT" "$@" >"$out" 2>"$WORK/err.txt" &
	else
		"$TT" "$@" >"$out" 2>"$WORK/err.txt" &
	fi
	TT_PID=$!
	wait_for "tcptrack to start tracing" 10 tracing "$WORK/err.txt" "$TT_PID"
}

# iface_clean NS DEV: nothing of ours on DEV; what is left goes to IFACE_LEFT, one item
# per kind.
iface_clean() {
	local ns=$1 dev=$2 out
	IFACE_LEFT=()
	out=$(ip netns exec "$ns" tc filter show dev "$dev" ingress 2>/dev/null; ip netns exec "$ns" tc filter show dev "$dev" egress 2>/dev/null)
	[ -z "$out" ] || IFACE_LEFT+=("tc filters left on $dev: $out")
	ip -n "$ns" link show dev "$dev" | grep -q 'xdp' && IFACE_LEFT+=("XDP program left on $dev")
	out=$(bpftool link show 2>/dev/null | grep -E 'tcx|xdp' | grep -c "ifindex $(ip -n "$ns" -o link show dev "$dev" | cut -d: -f1) ")
	[ "$out" -eq 0 ] || IFACE_LEFT+=("$out BPF links left on $dev")
	out=$(bpftool prog show 2>/dev/null | grep -cE 'name (tt_tc_ingress|tt_tc_egress|tt_xdp_ingress)')
	[ "$out" -eq 0 ] || IFACE_LEFT+=("$out wire BPF programs still loaded")
	[ ${#IFACE_LEFT[@]} -eq 0 ]
}

# Nothing of ours on an interface once tcptrack has exited.
expect_iface_clean() {
	local left
	iface_clean "$1" "$2" && return 0
	for left in "${IFACE_LEFT[@]}"; do
		fail "$left"
	done
}

# link_up NS DEV: DEV is up (its peer too, for a veth).
link_up() {
	ip -n "$1" link show dev "$2" | grep -q 'state UP'
}
