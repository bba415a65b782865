#!/bin/bash
# The wall clock with the ptrace backend (--clock wall --backend ptrace):
# every thread is looked at on each tick, a blocked one stopped once per
# wait for its stack and its system call. On the waits workload (see
# wall-clock.sh) each phase's share of the main thread's wall time comes
# out within 3 points of the truth with the system call named on the leaf,
# and a thread blocked the whole run is one record. Where perf refuses the
# context-switch samples (nobody at perf_event_paranoid 2), --backend auto
# measures the wall clock with ptrace and says so in one line, while
# --backend perf keeps failing with its one line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
waits=$(pt_workload waits)
session=$PT_WORK/waits.proftop
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/wall-lib.sh"

wall_record "$session" "$waits" --backend ptrace
pt_proftop "$PT_WORK/text" report -i "$session"
if grep -q '^clock: wall' "$PT_WORK/text" && grep -qi 'ptrace' "$PT_WORK/text"; then
	pt_ok "the session is a ptrace one on the wall clock"
else
	pt_fail "expected 'clock: wall' and the ptrace backend in the report's header; saw: $(head -n 6 "$PT_WORK/text" | tr '\n' '|')"
fi

wall_shares "$session"
# The reason on each wait's leaf, named from the stopped thread's system call.
wall_leaves "$session"
pt_eq "the wait under waits_forever" "$(wall_leaf_under waits_forever)" "[off-CPU: read]"

# The thread blocked in read all along: one record, about all of main's
# time. On a loaded machine a tick can catch the thread between the read
# that PTRACE_INTERRUPT ended and its restart (seen twice in make check
# -j2 with seven other jobs: 3 records, the same time in all): a few
# records at most, and their time checked below.
records=$(awk '/;waits_forever;/ && /off-CPU/ { n += $NF } END { print n + 0 }' "$PT_WORK/folded")
pt_le "off-CPU records of the thread blocked all along" "$records" 3
blocked=$(awk '/;waits_forever;/ && /off-CPU/ { n += $NF } END { printf "%.2f", n / 1e9 }' "$PT_WORK/folded.ns")
pt_ge "its wait, in s (main ran $m s)" "$blocked" "$(awk -v m="$m" 'BEGIN { print 0.9 * m }')"

# The CPU clock of the same session: the compute phase alone.
pt_report "$PT_WORK/cpu.csv" -i "$session" --clock cpu --tid "$main" --limit 0 || pt_finish
pt_ge "--clock cpu: waits_compute %total" "$(pt_csv "$PT_WORK/cpu.csv" waits_compute total_pct)" 90
pt_eq "--clock cpu: off-CPU rows" "$(grep -c 'off-CPU' "$PT_WORK/cpu.csv")" 0

# perf refuses the switch samples (nobody, paranoid 2): auto takes ptrace.
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null)
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1 || [ "${paranoid:-0}" -lt 2 ]; then
	echo "# not root, no setpriv, or perf_event_paranoid ${paranoid:-?} below 2: perf's refusal cannot be made here"
	pt_finish
fi
dir=$(mktemp -d /tmp/proftop-wall-ptrace.XXXXXX)
chmod 755 "$dir"
cp "$waits" "$dir/waits"
nobody()
{
	local out=$1
	shift
	(cd "$dir" && timeout -k 5 "$PT_TIMEOUT" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PROFTOP" "$@" >"$out" 2>"$out.err")
}
nobody "$PT_WORK/np-cpu" report --backend ptrace --clock cpu -- "$dir/waits" 0.05
if [ $? -ne 0 ]; then
	rm -rf "$dir"
	pt_skip "the ptrace backend as nobody is refused here: $(head -n 1 "$PT_WORK/np-cpu.err")"
fi
nobody "$PT_WORK/np" report --clock wall --format csv --limit 0 -- "$dir/waits" 0.3
rc=$?
pt_eq "--clock wall as nobody at paranoid $paranoid (auto): exit status" "$rc" 0
grep -v '^waits: ' "$PT_WORK/np.err" >"$PT_WORK/np.says"
pt_one_line "--clock wall as nobody (auto)" "$PT_WORK/np.says"
if grep -q 'ptrace backend' "$PT_WORK/np.says" && grep -q 'context-switch' "$PT_WORK/np.says"; then
	pt_ok "... it says the ptrace backend measures the wall clock, and why"
else
	pt_fail "... expected a line naming the ptrace backend and the refused context-switch samples; saw: $(cat "$PT_WORK/np.says")"
fi
npmain=$(sed -n 's/^waits: main \([0-9]*\).*/\1/p' "$PT_WORK/np" | tr -d '\r')
if grep -q '^"\?\[off-CPU: read\]' "$PT_WORK/np" && [ -n "$npmain" ]; then
	pt_ok "the report has the waits ([off-CPU: read])"
else
	pt_fail "expected an [off-CPU: read] row in the report; saw: $(grep -c . "$PT_WORK/np") lines: $(head -c 300 "$PT_WORK/np")"
fi
nobody "$PT_WORK/npp" report --backend perf --clock wall -- "$dir/waits" 0.05
rc=$?
rm -rf "$dir"
pt_eq "--backend perf --clock wall as nobody: exit status" "$rc" 1
pt_one_line "--backend perf --clock wall as nobody" "$PT_WORK/npp.err"
if grep -q 'perf_event_paranoid=1' "$PT_WORK/npp.err"; then pt_ok "... it names the sysctl"; else pt_fail "... expected 'perf_event_paranoid=1' in: $(cat "$PT_WORK/npp.err")"; fi
pt_finish
