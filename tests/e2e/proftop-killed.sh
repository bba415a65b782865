#!/bin/bash
# A launched target does not outlive a proftop killed with SIGKILL (it is
# tied to proftop with PR_SET_PDEATHSIG), with either backend; with
# --keep-running it does.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload forever)

# start LABEL ARG...: proftop report ARG... -- forever in the background;
# sets ppid (proftop) and tpid (the target, from its first line).
start()
{
	local label=$1
	shift
	: >"$PT_WORK/$label.out"
	echo "# proftop report $* -- $w"
	"$PROFTOP" report "$@" -- "$w" >"$PT_WORK/$label.out" 2>"$PT_WORK/$label.err" &
	ppid=$!
	pt_track "$ppid"
	tpid=""
	for _ in $(seq 100); do
		tpid=$(sed -n 's/^forever: pid \([0-9]*\)$/\1/p' "$PT_WORK/$label.out")
		[ -n "$tpid" ] && break
		sleep 0.1
	done
	if [ -z "$tpid" ]; then
		grep -Eq "$PT_PERM_RE" "$PT_WORK/$label.err" &&
			pt_skip "perf_event_open refused: $(head -n 1 "$PT_WORK/$label.err")"
		pt_fail "$label: the target did not start within 10 s; stderr: $(head -n 3 "$PT_WORK/$label.err")"
		return 1
	fi
	pt_track "$tpid"
}

# gone_within PID TENTHS: true once PID no longer exists (zombie counts
# as gone: it has ended, only its reaping is left).
gone_within()
{
	local i state
	for ((i = 0; i < $2; i++)); do
		state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		[ -z "$state" ] || [ "$state" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

for backend in perf ptrace; do
	start "$backend" --backend "$backend" || continue
	kill -KILL "$ppid"
	wait "$ppid" 2>/dev/null
	if gone_within "$tpid" 50; then
		pt_ok "$backend: the target ($tpid) ended within 5 s of SIGKILL to proftop"
	else
		pt_fail "$backend: expected the target ($tpid) gone within 5 s of SIGKILL to proftop, it still runs"
		kill -KILL "$tpid" 2>/dev/null
	fi
done

start keep --keep-running || pt_finish
kill -KILL "$ppid"
wait "$ppid" 2>/dev/null
if gone_within "$tpid" 10; then
	pt_fail "--keep-running: expected the target ($tpid) still running 1 s after proftop was killed, it ended"
else
	pt_ok "--keep-running: the target ($tpid) still runs 1 s after proftop was killed"
fi
kill -KILL "$tpid" 2>/dev/null
pt_finish
