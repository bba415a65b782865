#!/bin/bash
# --clock's bad input: an unknown clock (usage, status 2, the target never
# runs); the wall clock of a session recorded on the CPU clock, and the
# wall clock asked of the perf backend where the kernel refuses its events
# (run as nobody at perf_event_paranoid 2): one line naming what is missing
# and the fix, status 1, never a silent CPU profile. (--backend auto
# measures the wall clock with ptrace there: wall-ptrace.sh.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=30
ran=$PT_WORK/ran

usage()
{
	local label=$1
	shift
	rm -f "$ran"
	pt_proftop "$PT_WORK/usage" "$@"
	pt_eq "exit status for $label" "$PT_RC" 2
	grep -q . "$PT_WORK/usage.err" && pt_ok "$label: says why: $(head -n 1 "$PT_WORK/usage.err")" ||
		pt_fail "$label: expected a message on stderr, saw none"
	[ -e "$ran" ] && pt_fail "$label: the target ran despite the usage error"
}
usage "--clock bogus" report --clock bogus -- touch "$ran"
pt_true_grep()
{
	if grep -q -- "$2" "$3"; then pt_ok "$1"; else pt_fail "$1: expected '$2' in: $(head -n 1 "$3")"; fi
}

# A CPU-clock session has no waits to show.
shares=$(pt_workload shares)
pt_proftop "$PT_WORK/rec" record -o "$PT_WORK/cpu.proftop" -- "$shares" 0.05
pt_eq "record on the CPU clock" "$PT_RC" 0
for cmd in "report" "export -f folded"; do
	pt_proftop "$PT_WORK/bad" $cmd -i "$PT_WORK/cpu.proftop" --clock wall
	pt_eq "$cmd --clock wall of a CPU-clock session: exit status" "$PT_RC" 1
	pt_one_line "$cmd --clock wall of a CPU-clock session" "$PT_WORK/bad.err"
	pt_true_grep "... it says how to get waits" "record it again with --clock wall" "$PT_WORK/bad.err"
done
pt_proftop "$PT_WORK/ok" report -i "$PT_WORK/cpu.proftop" --clock cpu
pt_eq "report --clock cpu of a CPU-clock session" "$PT_RC" 0

# Kernel samples refused (not root, paranoid 2): the switch samples would
# all be dropped, so the wall clock with --backend perf refuses to start.
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 && [ "${paranoid:-0}" -ge 2 ]; then
	dir=$(mktemp -d /tmp/proftop-wall-bad.XXXXXX)
	chmod 755 "$dir"
	cp "$shares" "$dir/shares"
	rm -f "$ran"
	(cd "$dir" && timeout "$PT_TIMEOUT" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PROFTOP" report --backend perf --clock wall -- "$dir/shares" 0.05 >"$PT_WORK/np.out" 2>"$PT_WORK/np.err")
	rc=$?
	rm -rf "$dir"
	pt_eq "--backend perf --clock wall as nobody at paranoid $paranoid: exit status" "$rc" 1
	pt_one_line "--clock wall as nobody" "$PT_WORK/np.err"
	pt_true_grep "... it names the sysctl" "perf_event_paranoid=1" "$PT_WORK/np.err"
	if grep -q 'Ordered by' "$PT_WORK/np.out"; then
		pt_fail "a report was printed: a silent fallback to the CPU clock"
	else
		pt_ok "no report printed (no silent fallback)"
	fi
else
	echo "# not root, no setpriv, or paranoid below 2: the refusal as nobody is not tried"
fi
pt_finish
