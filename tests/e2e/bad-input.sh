#!/bin/bash
# Exit status contract: 1 with a one-line reason for runtime failures (no
# such command, no such PID), 2 for usage errors; on a usage error the
# target never runs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=20
ran=$PT_WORK/ran

pt_proftop "$PT_WORK/nocmd" report -- /nonexistent/proftop-no-such-command
pt_eq "exit status for a command that does not exist" "$PT_RC" 1
pt_one_line "no such command" "$PT_WORK/nocmd.err"

pt_proftop "$PT_WORK/nocmd2" report -- proftop-no-such-command-in-path
pt_eq "exit status for a command not in PATH" "$PT_RC" 1
pt_one_line "not in PATH" "$PT_WORK/nocmd2.err"

pt_proftop "$PT_WORK/nopid" report -p 999999999
pt_eq "exit status for -p 999999999 (no such process)" "$PT_RC" 1
pt_one_line "no such pid" "$PT_WORK/nopid.err"

usage()
{
	local label=$1
	shift
	rm -f "$ran"
	pt_proftop "$PT_WORK/usage" "$@"
	pt_eq "exit status for $label" "$PT_RC" 2
	if [ -s "$PT_WORK/usage.err" ]; then
		pt_ok "$label: says why: $(head -n 1 "$PT_WORK/usage.err")"
	else
		pt_fail "$label: expected a message on stderr, saw none"
	fi
	if [ -e "$ran" ]; then
		pt_fail "$label: the target ran despite the usage error"
	fi
}
usage "an unknown option" report --no-such-option -- touch "$ran"
usage "--sort bogus" report --sort bogus -- touch "$ran"
usage "--format bogus" report --format bogus -- touch "$ran"
usage "--unwind bogus" report --unwind bogus -- touch "$ran"
usage "report without a target" report
usage "report with both -p and a command" report -p 1 -- touch "$ran"
usage "-F not a number" report -F fast -- touch "$ran"
pt_finish
