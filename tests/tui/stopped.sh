#!/bin/bash
# An attached target that is stopped (SIGSTOP) gives no samples: the header
# says so instead of "running (attached)", and goes back to running once it
# continues (SIGCONT), the samples counting again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
forever=$(pt_workload forever)

"$forever" >/dev/null &
pid=$!
pt_track "$pid"
kill -STOP "$pid"
for i in $(seq 1 50); do
	[ "$(pt_proc_state "$pid" | cut -c1)" = T ] && break
	sleep 0.1
done
echo "# the workload, pid $pid: $(pt_proc_state "$pid")"

tui_start 120 30 --no-color -p "$pid"
tui_wait "the header says it is stopped, and why no samples" \
	"pid $pid +stopped \\(SIGSTOP\\): no samples until it continues" 10
tui_wait "no samples meanwhile" 'samples 0 ' 2
kill -CONT "$pid"
tui_wait "after SIGCONT: running again" "pid $pid +running \\(attached\\)" 10
tui_wait "and sampled" 'samples [1-9]' 10
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
