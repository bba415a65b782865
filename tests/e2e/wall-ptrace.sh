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
PT_CSV_HEADER="$PT_CSV_HEADER,offcpu_pct,offcpu"

pt_proftop "$PT_WORK/record.out" record --clock wall --backend ptrace -o "$session" -- "$waits" 1
if [ "$PT_RC" -ne 0 ] || [ ! -s "$session" ]; then
	pt_fail "proftop record --clock wall --backend ptrace: expected status 0 and a session, saw $PT_RC: $(head -n 2 "$PT_WORK/record.out.err")"
	pt_finish
fi
main=$(sed -n 's/^waits: main \([0-9]*\).*/\1/p' "$PT_WORK/record.out" | tr -d '\r')
read -r c s r l m < <(sed -n 's/^waits: wall compute \([0-9.]*\) sleep \([0-9.]*\) read \([0-9.]*\) lock \([0-9.]*\) main \([0-9.]*\).*/\1 \2 \3 \4 \5/p' \
	"$PT_WORK/record.out" | tr -d '\r')
if [ -z "$main" ] || [ -z "$m" ]; then
	pt_fail "expected the workload's 'waits: main TID' and 'waits: wall ...' lines; saw: $(head -c 300 "$PT_WORK/record.out")"
	pt_finish
fi
pt_ok "the workload's truth: compute $c s, sleep $s s, read $r s, lock $l s of main's $m s"
pt_proftop "$PT_WORK/text" report -i "$session"
if grep -q '^clock: wall' "$PT_WORK/text" && grep -qi 'ptrace' "$PT_WORK/text"; then
	pt_ok "the session is a ptrace one on the wall clock"
else
	pt_fail "expected 'clock: wall' and the ptrace backend in the report's header; saw: $(head -n 6 "$PT_WORK/text" | tr '\n' '|')"
fi

pt_report "$PT_WORK/wall.csv" -i "$session" --tid "$main" --limit 0 || pt_finish
for phase in "waits_compute $c" "waits_sleep $s" "waits_read $r" "waits_lock $l"; do
	set -- $phase
	want=$(awk -v a="$2" -v b="$m" 'BEGIN { printf "%.1f", 100 * a / b }')
	pt_near "$1: %total of the main thread's wall time" \
		"$(pt_csv "$PT_WORK/wall.csv" "$1" total_pct)" "$want" 3
done
pt_ge "waits_sleep: %off (it only waits)" "$(pt_csv "$PT_WORK/wall.csv" waits_sleep offcpu_pct)" 99
pt_ge "waits_lock: %off" "$(pt_csv "$PT_WORK/wall.csv" waits_lock offcpu_pct)" 99

# The reason on each wait's leaf, named from the stopped thread's system call.
pt_proftop "$PT_WORK/folded" export -i "$session" -f folded
pt_proftop "$PT_WORK/folded.ns" export -i "$session" -f folded --weight ns
leaf_under()
{
	awk -v fn="$1" '{ w = $NF; line = $0; sub(/ [0-9]+$/, "", line); n = split(line, f, ";")
		if (f[n] !~ /^\[off-CPU/) next
		for (i = 1; i < n; i++) if (f[i] == fn) { t[f[n]] += w; next } }
		END { for (k in t) if (t[k] > best) { best = t[k]; b = k }; print b }' "$PT_WORK/folded.ns"
}
pt_eq "the wait under waits_sleep" "$(leaf_under waits_sleep)" "[off-CPU: clock_nanosleep]"
pt_eq "the wait under waits_read" "$(leaf_under waits_read)" "[off-CPU: read]"
pt_eq "the wait under waits_lock" "$(leaf_under waits_lock)" "[off-CPU: futex]"
pt_eq "the wait under waits_forever" "$(leaf_under waits_forever)" "[off-CPU: read]"

# The thread blocked in read all along: one record, about all of main's time.
records=$(awk '/;waits_forever;/ && /off-CPU/ { n += $NF } END { print n + 0 }' "$PT_WORK/folded")
pt_eq "off-CPU records of the thread blocked all along" "$records" 1
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
