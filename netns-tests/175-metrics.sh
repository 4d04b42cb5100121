#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# --metrics scraped by a real Prometheus server (its own port, config and storage in $WORK,
# a 1 s scrape interval): after known traffic (successes, refusals, timeouts), Prometheus's
# HTTP API shows the counts the traffic made and the JSON lines of the same run; promtool
# accepts a scrape; a port in use is one line and exit 1; a client that sends nothing and
# one that sends 1 MiB of headers do not delay the JSON line of a connection made meanwhile.
. "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
	die "prometheus and promtool are not installed (scripts/setup installs them)"
SUCC=4	# the last one made while the hostile clients are connected
REFUSED=2
TIMEOUTS=2

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# prom QUERY: the value of an instant query's first sample, or nothing.
prom() {
	curl -sf -G --max-time 2 --data-urlencode "query=$1" \
		"http://127.0.0.1:$PPORT/api/v1/query" | jq -r '.data.result[0].value[1] // empty'
}

# prom_is QUERY VALUE: Prometheus has scraped VALUE for QUERY.
prom_is() {
	[ "$(prom "$1")" = "$2" ]
}

# json_count TYPE: the JSON lines of that type.
json_count() {
	jq -s "[.[] | select(.type == \"$1\")] | length" "$WORK/out.json"
}

ev() {
	echo "sum(tcptrack_events_total{$1})"
}

setup_pair
ip netns exec "$NS_S" nft -f - <<NFT || die "nft"
table inet tcptrack_test {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 5176 drop
	}
}
NFT
MPORT=$(free_port)
PPORT=$(free_port)
[ -n "$MPORT" ] && [ -n "$PPORT" ] && [ "$MPORT" != "$PPORT" ] || die "no free ports"

cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tcptrack
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom-data" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$WORK/prom.log" 2>&1 &
PROM_PID=$!
BG_PIDS+=($PROM_PID)
prom_ready() {
	kill -0 "$PROM_PID" 2>/dev/null || die "prometheus exited: $(tail -3 "$WORK/prom.log")"
	curl -sf --max-time 1 "http://127.0.0.1:$PPORT/-/ready" >/dev/null
}
wait_for "Prometheus to be ready" 30 prom_ready

start_tracker -P 5175,5176,5177 --metrics "127.0.0.1:$MPORT"

# the same port again: one line naming it, exit 1, before anything is loaded
"$TT" -s --metrics "127.0.0.1:$MPORT" -d 5 >/dev/null 2>"$WORK/busy.err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l <"$WORK/busy.err")" -eq 1 ] &&
	grep -q "127.0.0.1:$MPORT" "$WORK/busy.err" ||
	fail "port in use: exit $rc, stderr: $(cat "$WORK/busy.err")"
grep -q Tracing "$WORK/busy.err" && fail "port in use: tracing started anyway"

code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nothing")
[ "$code" = 404 ] || fail "GET /nothing: HTTP $code, expected 404"
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$WORK/scrape.txt" || fail "GET /metrics failed"
promtool check metrics <"$WORK/scrape.txt" >"$WORK/promtool.txt" 2>&1 ||
	fail "promtool check metrics: $(head -5 "$WORK/promtool.txt")"
grep -q '^tcptrack_events_total{type="timeout",direction="fwd",family="ipv6"} 0$' \
	"$WORK/scrape.txt" || fail "not every series exists at 0 from the start"

ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_syn_retries=1
start_server "$NS_S" $S4 5175 -n $SUCC
for i in $(seq $((SUCC - 1))); do
	client "$NS_C" $S4 5175 -s 100
	[ "$CLI_RESULT" = ok ] || die "client $i: $CLI_RESULT"
done
for i in $(seq $REFUSED); do
	client "$NS_C" $S4 5177
	[ "$CLI_RESULT" = ECONNREFUSED ] || die "refused client $i: $CLI_RESULT"
done
for i in $(seq $TIMEOUTS); do
	client "$NS_C" $S4 5176 -t 1500
	[ "$CLI_RESULT" = ETIMEDOUT ] || die "timeout client $i: $CLI_RESULT"
done

# Two hostile clients of the endpoint, connected while a connection is traced.
python3 - "$MPORT" >"$WORK/hostile.out" 2>&1 <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
idle = socket.create_connection(("127.0.0.1", port))
big = socket.create_connection(("127.0.0.1", port))
big.setblocking(False)
req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Filler: " + b"a" * (1 << 20) + b"\r\n\r\n"
sent = 0
try:
    while sent < len(req):
        try:
            sent += big.send(req[sent:])
        except BlockingIOError:
            time.sleep(0.01)
except OSError:
    pass
print("ready", sent, flush=True)
time.sleep(15)
PY
BG_PIDS+=($!)
HOSTILE_PID=$!
wait_for "the hostile clients to connect" 10 has_lines "$WORK/hostile.out" '^ready'
client "$NS_C" $S4 5175 -s 100
[ "$CLI_RESULT" = ok ] || die "client during the hostile ones: $CLI_RESULT"
poll_for 2 reported CONNECT:5175:$SUCC ||
	fail "the CONNECT made during the hostile clients was not out within 2 s"

wait_for "every line" 10 reported CONNECT:5175:$SUCC ACCEPT:5175:$SUCC CLOSE:5175:$((2 * SUCC)) \
	REFUSED:5177:$REFUSED TIMEOUT:5176:$TIMEOUTS
kill "$HOSTILE_PID" 2>/dev/null

final_in_prometheus() {
	prom_is "$(ev 'type="connect",direction="out",family="ipv4"')" $SUCC &&
	prom_is "$(ev 'type="accept",direction="in",family="ipv4"')" $SUCC &&
	prom_is "$(ev 'type="close"')" $((2 * SUCC)) &&
	prom_is "$(ev 'type="refused",direction="out"')" $REFUSED &&
	prom_is "$(ev 'type="timeout",direction="out"')" $TIMEOUTS
}
wait_for "Prometheus to show the final counts" 20 final_in_prometheus

# Prometheus against the JSON lines of the same run, while tcptrack is still up
for t in connect accept close refused timeout reset unreach; do
	T=${t^^}
	want=$(json_count "$T")
	got=$(prom "$(ev "type=\"$t\"")")
	[ "$got" = "$want" ] || fail "tcptrack_events_total{type=\"$t\"}: $got in Prometheus, $want JSON lines"
done
got=$(prom 'sum(tcptrack_events_total{direction="fwd"}) + sum(tcptrack_events_total{family="ipv6"})')
[ "$got" = 0 ] || fail "forwarded or IPv6 events counted: $got"
got=$(prom 'sum(tcptrack_active_connections)')
[ "$got" = 0 ] || fail "tcptrack_active_connections: $got, expected 0"
got=$(prom 'tcptrack_syn_retransmits_total{direction="out"}')
[ -n "$got" ] && [ "$got" -ge "$TIMEOUTS" ] || fail "tcptrack_syn_retransmits_total{out}: '$got'"
got=$(prom "sum(tcptrack_handshake_seconds_count{direction=\"out\",view=\"sock\"})")
[ "$got" = $SUCC ] || fail "handshake histogram of the connects: '$got', expected $SUCC"
got=$(prom 'up{job="tcptrack"}')
[ "$got" = 1 ] || fail "up{job=\"tcptrack\"}: '$got'"
got=$(prom 'count(tcptrack_build_info{accept_hook!="none",tc_attach="none"})')
[ "$got" = 1 ] || fail "tcptrack_build_info: '$got'"
stop_tracker
[ "$TT_RC" -eq 0 ] || fail "exit status $TT_RC after SIGINT"
expect_json "the footer agrees" \
	"last | .type==\"SUMMARY\" and .active==0 and
	 (.failure_pct - 100 * $((REFUSED + TIMEOUTS)) / $((2 * SUCC + REFUSED + TIMEOUTS))
	  | . < 0.01 and . > -0.01)"

kill "$PROM_PID"
wait "$PROM_PID" 2>/dev/null
poll_for 5 bash -c "! ss -Hltn 'sport = :$PPORT' | grep -q ." || fail "Prometheus still listening"
expect_nothing_left
finish
