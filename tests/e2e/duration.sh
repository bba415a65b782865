#!/bin/bash
# -d 1 on a target that never ends: the run stops after ~1 s with a report,
# and the launched target does not outlive proftop.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload forever)

PT_TIMEOUT=20
pt_report "$PT_WORK/out.csv" -d 1 -- "$w"
pid=$(sed -n 's/^forever: pid \([0-9]*\)$/\1/p' "$PT_WORK/out.csv" | head -n 1)
[ -n "$pid" ] && pt_track "$pid"
pt_eq "proftop exit status" "$PT_RC" 0
pt_le "wall time of 'report -d 1' in seconds" "$PT_SECONDS" 4
pt_ge "wall time of 'report -d 1' in seconds" "$PT_SECONDS" 0.9
pt_ge "spin_forever self_pct" "$(pt_csv "$PT_WORK/out.csv" spin_forever self_pct)" 90
# At 997 Hz of the target's CPU time (however loaded the machine is).
samples=$(pt_csv "$PT_WORK/out.csv" spin_forever total_samples)
cumtime=$(pt_csv "$PT_WORK/out.csv" spin_forever cumtime)
# A floor, not a rate: the target may get a tenth of a CPU for its second
# on a loaded machine; the rate per CPU second is checked below.
pt_ge "spin_forever samples" "$samples" 30
pt_num "$samples" && pt_num "$cumtime" &&
	pt_near "samples per second of CPU (cumtime $cumtime s)" \
		"$(awk -v n="$samples" -v t="$cumtime" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')" 997 100
if [ -z "$pid" ]; then
	pt_fail "expected the target's line 'forever: pid N' on stdout"
elif pt_wait_gone "$pid" 3; then
	pt_ok "the launched target ($pid) is gone after proftop"
else
	pt_fail "the launched target ($pid) still runs after proftop ended (state $(pt_proc_state "$pid"))"
fi
pt_finish
