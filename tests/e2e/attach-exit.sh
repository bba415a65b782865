#!/bin/bash
# An attached program that exits mid-run: the run ends then (not at -d),
# the report holds what was collected and says the target ended. The
# ptrace backend, as its tracer, also learns the exit status.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload attachee)
PT_TIMEOUT=30

for backend in perf ptrace; do
	"$w" 1.5 >"$PT_WORK/$backend.out" 2>&1 &
	pid=$!
	pt_track "$pid"
	pt_wait_running "$pid" "$w"
	pt_proftop "$PT_WORK/$backend.txt" report --backend "$backend" -d 20 -p "$pid"
	pt_eq "$backend: exit status of proftop" "$PT_RC" 0
	pt_le "$backend: seconds until proftop noticed the end" "$PT_SECONDS" 8
	if grep -Eq "^target (exited|exited with status 3)" "$PT_WORK/$backend.txt"; then
		pt_ok "$backend: says: $(grep '^target' "$PT_WORK/$backend.txt")"
	else
		pt_fail "$backend: expected 'target exited ...' in the report, saw:"
		sed 's/^/#   /' "$PT_WORK/$backend.txt" | head -n 5
	fi
	if grep -q 'attach_hot' "$PT_WORK/$backend.txt"; then
		pt_ok "$backend: the samples collected before the end are there"
	else
		pt_fail "$backend: expected attach_hot in the report"
	fi
	wait "$pid"
	pt_eq "$backend: exit status the parent sees" "$?" 3
done
grep -q '^target exited with status 3' "$PT_WORK/ptrace.txt" &&
	pt_ok "ptrace: the exit status is reported" ||
	pt_fail "ptrace: expected 'target exited with status 3', saw '$(grep '^target' "$PT_WORK/ptrace.txt")'"
pt_finish
