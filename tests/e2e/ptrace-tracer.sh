#!/bin/bash
# Programs that trace processes themselves and the ptrace backend:
# launched (strace -f), the program works (its own PTRACE_TRACEME would
# fail with EPERM if proftop held its children) and proftop says in one
# line that it runs unprofiled; attached, a traced process and a tracer are
# refused in one line (exit 1) and left exactly as they were.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v strace >/dev/null || pt_skip "strace is not installed"
w=$(pt_workload shares)
PT_TIMEOUT=30

pt_proftop "$PT_WORK/launch.txt" report --backend ptrace -- strace -f -o /dev/null "$w" 0.2
pt_eq "launched strace -f: proftop's exit status" "$PT_RC" 0
case $(grep -m1 '^target ' "$PT_WORK/launch.txt") in
"target exited with status 0") pt_ok "strace and its child ran to the end: target exited with status 0" ;;
*) pt_fail "expected 'target exited with status 0', saw '$(grep -m1 '^target ' "$PT_WORK/launch.txt")'; stderr: $(head -n 3 "$PT_WORK/launch.txt.err")" ;;
esac
pt_eq "the traced program's last line" "$(grep -c '^shares: done' "$PT_WORK/launch.txt")" 1
grep '^proftop:' "$PT_WORK/launch.txt.err" >"$PT_WORK/launch.notes"
pt_one_line "launched strace" "$PT_WORK/launch.notes"
if grep -q 'traces processes itself.*--backend perf' "$PT_WORK/launch.notes"; then
	pt_ok "the line names the cause and the fix"
else
	pt_fail "expected '... traces processes itself ... --backend perf', saw '$(cat "$PT_WORK/launch.notes")'"
fi

# A process traced by strace, and strace itself.
f=$(pt_workload forever)
strace -o /dev/null "$f" >"$PT_WORK/forever.out" &
spid=$!
pt_track "$spid"
fpid=""
for _ in $(seq 100); do
	fpid=$(sed -n 's/^forever: pid \([0-9]*\)$/\1/p' "$PT_WORK/forever.out")
	[ -n "$fpid" ] && break
	sleep 0.1
done
[ -n "$fpid" ] || pt_skip "strace did not start its child here"
pt_track "$fpid"
before=$(pt_proc_state "$fpid")
pt_proftop "$PT_WORK/traced.txt" report --backend ptrace -d 0.5 -p "$fpid"
pt_eq "attach to a traced process: exit status" "$PT_RC" 1
pt_one_line "attach to a traced process" "$PT_WORK/traced.txt.err"
grep -q "already traced by pid $spid (strace)" "$PT_WORK/traced.txt.err" &&
	pt_ok "the line names the tracer" ||
	pt_fail "expected 'already traced by pid $spid (strace)' in '$(cat "$PT_WORK/traced.txt.err")'"
pt_proftop "$PT_WORK/tracer.txt" report --backend ptrace -d 0.5 -p "$spid"
pt_eq "attach to a tracer: exit status" "$PT_RC" 1
pt_one_line "attach to a tracer" "$PT_WORK/tracer.txt.err"
grep -q "traces process $fpid" "$PT_WORK/tracer.txt.err" &&
	pt_ok "the line names its tracee" ||
	pt_fail "expected 'traces process $fpid' in '$(cat "$PT_WORK/tracer.txt.err")'"
pt_eq "the traced process afterwards (state, tracer)" "$(pt_proc_state "$fpid")" "$before"
pt_eq "strace's TracerPid afterwards" "$(pt_proc_state "$spid" | cut -d' ' -f2)" 0
pt_finish
