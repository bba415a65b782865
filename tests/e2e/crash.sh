#!/bin/bash
# The target's fate is reported, not returned: a target killed by SIGSEGV
# still gets its report, which names the signal, and proftop exits 0; a
# target exiting with status 3 is reported as such.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload crash)
ulimit -c 0 # no core file from the crash

pt_proftop "$PT_WORK/out.txt" report --format text -- "$w" 0.7
pt_eq "proftop exit status after the target's SIGSEGV" "$PT_RC" 0
if grep -q 'SIGSEGV' "$PT_WORK/out.txt"; then
	pt_ok "report names SIGSEGV: $(grep -m1 SIGSEGV "$PT_WORK/out.txt")"
else
	pt_fail "expected 'killed by SIGSEGV' in the report; saw:"
	sed 's/^/#   /' "$PT_WORK/out.txt" "$PT_WORK/out.txt.err" | head -n 30
fi
if grep -q 'crash_work' "$PT_WORK/out.txt"; then
	pt_ok "report lists crash_work"
else
	pt_fail "expected crash_work (where the target worked) in the report"
fi
if grep -q '^crash: about to crash$' "$PT_WORK/out.txt"; then
	pt_ok "the target's last output came through"
else
	pt_fail "expected the target's line 'crash: about to crash' on stdout"
fi

pt_proftop "$PT_WORK/exit3.txt" report --format text -- /bin/sh -c 'exit 3'
pt_eq "proftop exit status when the target exits 3" "$PT_RC" 0
if grep -q 'exited with status 3' "$PT_WORK/exit3.txt"; then
	pt_ok "report says 'exited with status 3'"
else
	pt_fail "expected 'exited with status 3' in the report; saw:"
	sed 's/^/#   /' "$PT_WORK/exit3.txt" "$PT_WORK/exit3.txt.err" | head -n 20
fi
pt_finish
