#!/bin/bash
# record and report exit 0/1/2 for proftop's own outcome, whatever the
# target did; with --exit-status they exit with the target's status as
# time(1) does: its exit code, or 128+N when signal N killed it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=30
crash=$(pt_workload crash)

# status LABEL EXPECTED ARG...
status()
{
	local label=$1 want=$2
	shift 2
	pt_proftop "$PT_WORK/out" "$@"
	pt_eq "$label: exit status" "$PT_RC" "$want"
	if [ "$PT_RC" != "$want" ]; then
		sed 's/^/#   /' "$PT_WORK/out.err" | head -n 5
	fi
}

status "report of a target exiting 3" 0 report -- sh -c 'exit 3'
status "report --exit-status, target exits 3" 3 report --exit-status -- sh -c 'exit 3'
status "report --exit-status, target exits 0" 0 report --exit-status -- true
status "report --exit-status, target exits 1" 1 report --exit-status --format csv -- false
status "record --exit-status, target exits 7" 7 record --exit-status -o "$PT_WORK/s.proftop" -- sh -c 'exit 7'
if [ -s "$PT_WORK/s.proftop" ]; then
	pt_ok "record --exit-status still saved the session"
else
	pt_fail "record --exit-status: expected the session in $PT_WORK/s.proftop, saw none"
fi
status "record of a target exiting 7" 0 record -o "$PT_WORK/s2.proftop" -- sh -c 'exit 7'
# crash dies of SIGSEGV (11): 139, as a shell says it.
status "report of a crashing target" 0 report -- "$crash"
status "report --exit-status, target killed by SIGSEGV" 139 report --exit-status -- "$crash"
status "report --exit-status, target killed by SIGUSR1 (10)" 138 report --exit-status -- sh -c 'kill -USR1 $$'
# -d ran out: proftop ended the target with SIGTERM (15), and says so.
status "report -d 0.5 --exit-status, proftop ended the target" 143 report -d 0.5 --exit-status -- sleep 30
# proftop's own failure comes first.
status "report --exit-status, no such command" 1 report --exit-status -- /nonexistent/proftop-no-such
status "report --exit-status with -i" 2 report --exit-status -i "$PT_WORK/s.proftop"
status "export --exit-status" 2 export --exit-status -i "$PT_WORK/s.proftop" -f folded -o "$PT_WORK/f"
pt_finish
