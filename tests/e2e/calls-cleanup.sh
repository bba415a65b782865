#!/bin/bash
# Probes are removed on every exit path. A uprobe is an int3 (0xcc) written
# over the function's first byte in the process: read nap()'s first byte in
# a running, attached target through /proc/PID/mem while proftop counts it
# (0xcc), and after proftop ended by -d, by Ctrl-C (SIGINT), and killed
# outright (SIGKILL: the kernel drops the probes with the fds).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload calls-sleep)
command -v nm >/dev/null 2>&1 || pt_skip "nm (binutils) is not installed"

"$w" 100000 20 >/dev/null &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$w" 0

# nap's address in the process: the load base (the first mapping of the
# file) plus its symbol value (PIE, first segment at 0).
vaddr=$(nm "$w" | awk '$3 == "nap" { print $1 }')
base=$(awk -v f="$(readlink -f "$w")" '$6 == f { split($1, a, "-"); print a[1]; exit }' \
	"/proc/$pid/maps")
[ -n "$vaddr" ] && [ -n "$base" ] || pt_skip "cannot find nap in $w (vaddr '$vaddr', base '$base')"
addr=$((0x$base + 0x$vaddr))

first_byte()
{
	dd if="/proc/$pid/mem" bs=1 skip="$addr" count=1 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

orig=$(first_byte)
[ -n "$orig" ] || pt_skip "cannot read /proc/$pid/mem"
[ "$orig" != cc ] || pt_fail "nap's first byte is already 0xcc before any probe"

# wait_probed LABEL: until the first byte is 0xcc (the probe is in).
wait_probed()
{
	local i
	for i in $(seq 1 100); do
		[ "$(first_byte)" = cc ] && { pt_ok "$1: nap carries the breakpoint (0xcc)"; return 0; }
		sleep 0.1
	done
	pt_fail "$1: expected nap's first byte to become 0xcc, saw $(first_byte)"
	return 1
}

# wait_clean LABEL: until the original byte is back.
wait_clean()
{
	local i
	for i in $(seq 1 50); do
		[ "$(first_byte)" = "$orig" ] && { pt_ok "$1: nap's first byte is $orig again"; return 0; }
		sleep 0.1
	done
	pt_fail "$1: expected nap's first byte back to $orig, saw $(first_byte)"
}

# 1. The run ends (-d).
"$PROFTOP" report -d 2 --calls nap -p "$pid" >"$PT_WORK/d.txt" 2>"$PT_WORK/d.err" &
pp=$!
if ! wait_probed "-d 2, during the run"; then
	grep -q "cannot count calls" "$PT_WORK/d.err" && pt_skip "uprobes do not work here: $(cat "$PT_WORK/d.err")"
fi
wait "$pp"
pt_eq "-d 2: exit status" "$?" 0
wait_clean "-d 2, after the run"
n=$(awk '$NF == "[calls-sleep]" && $(NF-2) == "nap" { print $1 }' "$PT_WORK/d.txt")
pt_ge "-d 2: nap's count (about 50 a second)" "$n" 20

# 2. Ctrl-C.
"$PROFTOP" report --calls nap -p "$pid" >"$PT_WORK/int.txt" 2>"$PT_WORK/int.err" &
pp=$!
wait_probed "SIGINT, before"
kill -INT "$pp"
wait "$pp"
pt_eq "SIGINT: exit status" "$?" 0
wait_clean "SIGINT, after"

# 3. proftop killed (as in a crash): the kernel closes the fds.
"$PROFTOP" report --calls nap -p "$pid" >"$PT_WORK/kill.txt" 2>"$PT_WORK/kill.err" &
pp=$!
wait_probed "SIGKILL, before"
kill -KILL "$pp"
wait "$pp" 2>/dev/null
wait_clean "SIGKILL, after"

pt_eq "the target is still running" "$(pt_proc_state "$pid" | cut -c1)" S
kill "$pid"
pt_finish
