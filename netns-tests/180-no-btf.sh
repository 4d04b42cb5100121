#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A kernel without BTF: with /sys/kernel/btf hidden under an empty tmpfs in a
# private mount namespace, tcptrack exits 1 with one line that says BTF is
# needed and how to check for it, and leaves nothing loaded.
. "$(dirname "$0")/lib.sh"
[ -d /sys/kernel/btf ] || skip "no /sys/kernel/btf to hide"
unshare -m --propagation private sh -c \
	'mount -t tmpfs none /sys/kernel/btf && exec "$0" -d 1' "$TT" >"$WORK/out.txt" 2>"$WORK/err.txt"
rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc, not 1: $(cat "$WORK/err.txt")"
[ "$(wc -l <"$WORK/err.txt")" -eq 1 ] || fail "not one line: $(cat "$WORK/err.txt")"
grep -q 'BTF' "$WORK/err.txt" && grep -q 'CONFIG_DEBUG_INFO_BTF' "$WORK/err.txt" &&
	grep -q '/sys/kernel/btf/vmlinux' "$WORK/err.txt" ||
	fail "the line does not say BTF is needed and how to check: $(cat "$WORK/err.txt")"
! [ -s "$WORK/out.txt" ] || fail "output on stdout: $(cat "$WORK/out.txt")"
[ -f /sys/kernel/btf/vmlinux ] || fail "the host's BTF is hidden after the test"
expect_nothing_left
finish
