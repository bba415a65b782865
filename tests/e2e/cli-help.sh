#!/bin/bash
# The command line a new user expects: "proftop help [TOPIC]" and
# "COMMAND --help" help (and never launch a program named help), a typo of
# a sub-command gets a suggestion, and a program named like one still runs
# with "--", by its path, or when it is in PATH.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=20
bin=$PT_WORK/bin
mkdir -p "$bin"
ran=$PT_WORK/ran
# A program named help, and one named like a typo of report.
for name in help reprot; do
	printf '#!/bin/sh\ntouch "%s.%s"\n' "$ran" "$name" >"$bin/$name"
	chmod +x "$bin/$name"
done

# has LABEL FILE REGEX / lacks LABEL FILE REGEX
has()
{
	if grep -Eq -- "$3" "$2"; then
		pt_ok "$1: shows '$3'"
	else
		pt_fail "$1: expected '$3' in the output, saw:"
		sed 's/^/#   /' "$2" | head -n 10
	fi
}
lacks()
{
	if grep -Eq -- "$3" "$2"; then
		pt_fail "$1: expected no '$3' in the output, saw: $(grep -E -m1 -- "$3" "$2")"
	else
		pt_ok "$1: no '$3'"
	fi
}

PATH=$bin:$PATH pt_proftop "$PT_WORK/help" help
pt_eq "proftop help: exit status" "$PT_RC" 0
has "proftop help" "$PT_WORK/help" '^Usage: proftop'
has "proftop help" "$PT_WORK/help" '--stack-size BYTES'
has "proftop help" "$PT_WORK/help" '--max-memory SIZE'
has "proftop help" "$PT_WORK/help" 'proftop help \[record\|report\|export\|live\]'
if [ -e "$ran.help" ]; then
	pt_fail "proftop help: launched the program named help"
else
	pt_ok "proftop help: did not launch the program named help"
fi

for how in "help report" "report --help" "report -h"; do
	# shellcheck disable=SC2086 # the words are the arguments
	pt_proftop "$PT_WORK/topic" $how
	pt_eq "proftop $how: exit status" "$PT_RC" 0
	has "proftop $how" "$PT_WORK/topic" '^Usage: proftop report \[OPTIONS\]'
	has "proftop $how" "$PT_WORK/topic" '--lines FUNC'
	has "proftop $how" "$PT_WORK/topic" '--exit-status'
	lacks "proftop $how (export's options are not report's)" "$PT_WORK/topic" '--weight'
	lacks "proftop $how (the live view's options are not report's)" "$PT_WORK/topic" '--refresh'
done
pt_proftop "$PT_WORK/topic" help export
pt_eq "proftop help export: exit status" "$PT_RC" 0
has "proftop help export" "$PT_WORK/topic" '^Usage: proftop export -i FILE'
has "proftop help export" "$PT_WORK/topic" '--weight'
lacks "proftop help export" "$PT_WORK/topic" '--freq'
pt_proftop "$PT_WORK/topic" help live
pt_eq "proftop help live: exit status" "$PT_RC" 0
has "proftop help live" "$PT_WORK/topic" '--refresh SECONDS'

# A typo: one line naming the problem and the fix, exit 2, nothing run.
pt_proftop "$PT_WORK/typo" reprot -F 99
pt_eq "proftop reprot: exit status" "$PT_RC" 2
pt_eq "proftop reprot: the message" "$(head -n 1 "$PT_WORK/typo.err")" \
	"proftop: 'reprot' is neither a sub-command nor a program: did you mean 'report'?"
pt_proftop "$PT_WORK/typo" help reprot
pt_eq "proftop help reprot: exit status" "$PT_RC" 2
pt_eq "proftop help reprot: the message" "$(head -n 1 "$PT_WORK/typo.err")" \
	"proftop: no help topic 'reprot': did you mean 'report'?"
pt_proftop "$PT_WORK/typo" help nosuchtopic
pt_eq "proftop help nosuchtopic: exit status" "$PT_RC" 2
has "proftop help nosuchtopic" "$PT_WORK/typo.err" "no help topic 'nosuchtopic' \(topics: record, report, export, live\)"

# A program with such a name is still a target: after "--", by its path,
# or found in PATH. (The live view then refuses for want of a terminal:
# the command line was accepted.)
check_target()
{
	local label=$1
	shift
	pt_proftop "$PT_WORK/prog" "$@" </dev/null
	if grep -q 'is neither a sub-command' "$PT_WORK/prog.err"; then
		pt_fail "$label: expected the program to be the target, saw: $(head -n 1 "$PT_WORK/prog.err")"
	else
		pt_ok "$label: the program is the target (exit $PT_RC: $(head -n 1 "$PT_WORK/prog.err"))"
	fi
}
check_target "proftop -- reprot" -- reprot
check_target "proftop $bin/reprot" "$bin/reprot"
PATH=$bin:$PATH check_target "proftop reprot (in PATH)" reprot
rm -f "$ran.reprot"
pt_proftop "$PT_WORK/rep" report -- "$bin/reprot"
if [ -e "$ran.reprot" ]; then
	pt_ok "proftop report -- .../reprot ran it (exit $PT_RC)"
else
	pt_fail "proftop report -- .../reprot: expected the program to run; stderr: $(head -n 1 "$PT_WORK/rep.err")"
fi
pt_finish
