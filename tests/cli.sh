#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Command-line contract: every bad input gets one line on stderr that names
# the option, exit status 2, and nothing is loaded.  Privilege errors exit 1.
# One line per check: PASS, FAIL, or SKIP when this machine cannot make it.
set -u
TT=${TT:-$(cd "$(dirname "$0")/.." && pwd)/build/tcptrack}
err=$(mktemp)
trap 'rm -f "$err"' EXIT

# usage_error NAME_IN_MESSAGE ARGS...
usage_error() {
	local want=$1 rc lines
	shift
	"$TT" "$@" >/dev/null 2>"$err"
	rc=$?
	lines=$(wc -l <"$err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$want" "$err"; then
		echo "PASS usage error: $*"
	else
		echo "FAIL usage error: $* (exit $rc, $lines lines, want '$want'): $(head -3 "$err")"
	fi
}

usage_error "--bogus" --bogus
usage_error "'-x'" -x
usage_error "--port" -P 0
usage_error "--port" -P 65536
usage_error "--port" -P abc
usage_error "--port" -P ""
usage_error "--port" -P 80,,443
usage_error "--port" -P 80,
usage_error "--port" -P -1
usage_error "--port" -P 99999999999999999999999
usage_error "--port" -P "$(seq -s, 1 17)"
usage_error "--pid" -p 0
usage_error "--pid" -p -5
usage_error "--pid" -p 2147483648
usage_error "--pid" -p 12x
usage_error "--type" -t FOO
usage_error "--type" -t CONNECT,
usage_error "--output" -o xml
usage_error "--interval" --interval 0
usage_error "--interval" --interval 1.5
usage_error "--duration" -d -1
usage_error "--duration" -d 99999999999
usage_error "--comm" -c ""
usage_error "--comm" -c 0123456789abcdef
usage_error "--netns" --netns no-such-namespace-here
usage_error "-4 and -6" -4 -6
usage_error "'-p' needs a value" -p
usage_error "'--port' needs a value" --port
usage_error "unexpected argument" extra
usage_error '\x0a' -P $'80\n443'
usage_error '\x1b[31m' -o $'\e[31mred'
usage_error "--iface" -i "$(printf 'x%.0s' $(seq 1 16))"
usage_error "--iface" -i ""
usage_error "--syn-timeout" --syn-timeout 0
usage_error "--ringbuf" --ringbuf 3
usage_error "--xdp" --xdp=fast -i lo
usage_error "--xdp needs --iface" --xdp
usage_error "--tc-attach" --tc-attach x
usage_error "--metrics" --metrics 0
usage_error "--metrics" --metrics 127.0.0.1:0
usage_error "--metrics" --metrics localhost:9100
usage_error "--metrics" --metrics ::1:9100
usage_error "--metrics-labels" --metrics 9100 --metrics-labels port,pid
usage_error "--metrics-max-values" --metrics 9100 --metrics-max-values 1001
usage_error "--metrics-nets" --metrics 9100 --metrics-nets 10.0.0.0/8,
usage_error "--metrics-labels needs --metrics" --metrics-labels port
usage_error "--metrics-nets needs --metrics" --metrics-nets 10.0.0.0/8
usage_error "'--metrics' needs a value" --metrics
usage_error "--by needs -s" --by port
usage_error "--by needs -s" -o json --by comm
usage_error "invalid --by 'pid': expected port, comm, remote or netns" -s --by pid
usage_error "invalid --by 'Port'" -s --by Port
usage_error "'--by' needs a value" -s --by
usage_error "--type" -t "$(printf 'CONNECT,%.0s' $(seq 1 300))X"

check() {
	local desc=$1
	shift
	if "$@"; then echo "PASS $desc"; else echo "FAIL $desc"; fi
}

check "--help exits 0 with usage and examples" \
	bash -c "'$TT' --help | grep -q '^Usage:' && '$TT' --help | grep -q Examples"
check "--version exits 0" bash -c "'$TT' -V | grep -q '^tcptrack '"
check "-t takes names in any case" bash -c "'$TT' -t connect,Refused -h >/dev/null"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TT" -d 1 >/dev/null 2>"$err"
	rc=$?
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -q 'missing capability CAP_' "$err"; then
		echo "PASS not root: one line naming the missing capability, exit 1"
	else
		echo "FAIL not root: exit $rc: $(cat "$err")"
	fi
else
	echo "SKIP not root: one line naming the missing capability: needs root and setpriv"
fi
