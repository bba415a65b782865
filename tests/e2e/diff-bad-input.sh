#!/bin/bash
# Bad options of the comparison and of record --repeat: exit status 2 and
# one line naming the problem (usage errors come before any file is read).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
new=$PT_WORK/new.proftop old=$PT_WORK/old.proftop

# usage MESSAGE ARG...: proftop ARG... exits 2 and says MESSAGE first.
usage()
{
	local want=$1
	shift
	pt_proftop "$PT_WORK/u" "$@"
	if [ "$PT_RC" = 2 ] && head -n 1 "$PT_WORK/u.err" | grep -qF -- "$want"; then
		pt_ok "$*: status 2, '$want'"
	else
		pt_fail "$*: expected status 2 and '$want', saw $PT_RC and '$(head -n 1 "$PT_WORK/u.err")'"
	fi
}

usage "invalid threshold '10x'" report -i "$new" --baseline "$old" --threshold 10x
usage "invalid threshold '-5%'" report -i "$new" --baseline "$old" --threshold -5%
usage "invalid threshold '101pt'" report -i "$new" --baseline "$old" --threshold 101pt
usage "invalid confidence '40'" report -i "$new" --baseline "$old" --confidence 40
usage "invalid units of work '0' for --per" report -i "$new" --baseline "$old" --per 0
usage "invalid units of work '5,x' for --per" report -i "$new" --baseline "$old" --per 5,x
usage "--per output:WORD needs the word" report -i "$new" --baseline "$old" --per output:
usage "--per compares with a baseline: add --baseline OLD" report -i "$new" --per 5
usage "--fail-on-regression compares with a baseline" report -i "$new" --fail-on-regression
usage "--format markdown compares with a baseline" report -i "$new" --format markdown
usage "--format markdown shows the comparison only" report -i "$new" --baseline "$old" \
	--format markdown --lines main
usage "invalid repeat count '0'" record --repeat 0 -o "$PT_WORK/r" -- true
usage "--repeat runs a command several times: add -- COMMAND" record --repeat 2 -o "$PT_WORK/r" -p 1
usage "option '--repeat' does not apply to 'proftop report'" report --repeat 2 -- true
usage "option '--fail-on-regression' is only for 'proftop report'" record --fail-on-regression \
	-o "$PT_WORK/r" -- true
pt_finish
