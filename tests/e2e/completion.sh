#!/bin/bash
# The bash completion (data/bash-completion/proftop): sourced in bash and
# called with COMP_WORDS set, it completes sub-commands, each command's
# options (those of `proftop help COMMAND`), option values, help topics,
# and after --lines/--callers/--callees the functions of the session given
# with -i, in forms that select one (step@samename.c for a shared name).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
script=$top_srcdir/data/bash-completion/proftop
[ -r "$script" ] || { pt_fail "no completion script at $script"; pt_finish; }
w=$(pt_workload samename)
s=$PT_WORK/run.proftop

# complete WORD...: the completions of the last WORD, one line, '|'-separated.
complete_words()
{
	bash -c '. "$1" || exit 1; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_proftop; printf "%s|" "${COMPREPLY[@]}"' completion "$script" "$PROFTOP" "$@"
}
# expect LABEL SEEN WORD...: each WORD is among SEEN.
expect()
{
	local label=$1 seen=$2 word
	shift 2
	for word in "$@"; do
		if [[ "|$seen" == *"|$word|"* ]]; then
			pt_ok "$label: offers $word"
		else
			pt_fail "$label: expected $word among the completions, saw '${seen:0:300}'"
		fi
	done
}
absent()
{
	local label=$1 seen=$2 word
	shift 2
	for word in "$@"; do
		if [[ "|$seen" == *"|$word|"* ]]; then
			pt_fail "$label: expected no $word, saw '${seen:0:300}'"
		else
			pt_ok "$label: no $word"
		fi
	done
}

expect "proftop re<TAB>" "$(complete_words re)" record report
expect "proftop ex<TAB>" "$(complete_words ex)" export
expect "proftop report --<TAB>" "$(complete_words report --)" --lines --callers --sort --self-to --exit-status
absent "proftop report --<TAB>" "$(complete_words report --)" --weight --refresh
expect "proftop export --<TAB>" "$(complete_words export --)" --weight --input --output
expect "proftop --st<TAB>" "$(complete_words --st)" --stdin --stack-size
expect "proftop report --sort <TAB>" "$(complete_words report --sort '')" cumulative tottime calls name
expect "proftop export -f <TAB>" "$(complete_words export -f '')" folded pprof
expect "proftop report --format <TAB>" "$(complete_words report --format '')" text csv json
expect "proftop report --self-to <TAB>" "$(complete_words report --self-to '')" leaf function
expect "proftop help <TAB>" "$(complete_words help '')" record report export live

pt_proftop "$PT_WORK/rec" record -o "$s" -- "$w"
[ -s "$s" ] || { pt_fail "no session recorded: $(head -n 1 "$PT_WORK/rec.err")"; pt_finish; }
seen=$(complete_words report -i "$s" --lines '')
expect "proftop report -i S --lines <TAB>" "$seen" main run_a run_b step@samename.c step@samename-b.c
absent "proftop report -i S --lines <TAB>" "$seen" step
expect "proftop report -i S --callers st<TAB>" "$(complete_words report -i "$s" --callers st)" \
	step@samename.c step@samename-b.c
expect "proftop report --input=S --callees ru<TAB>" "$(complete_words report --input="$s" --callees ru)" \
	run_a run_b
expect "proftop report --input = S --callees ru<TAB> (COMP_WORDBREAKS)" \
	"$(complete_words report --input = "$s" --callees ru)" run_a run_b
expect "proftop report --sort=<TAB>" "$(complete_words report --sort =)" cumulative tottime
expect "proftop report --sort=t<TAB>" "$(complete_words report --sort = t)" tottime
# Each offered selector selects one function.
for sel in step@samename.c step@samename-b.c; do
	pt_proftop "$PT_WORK/sel" report -i "$s" --format csv --lines "$sel"
	pt_eq "the offered $sel selects one function (exit status)" "$PT_RC" 0
done
# After the target's COMMAND, the words are its own.
absent "proftop report -- ls --<TAB>" "$(complete_words report -- ls --)" --lines --sort
pt_finish
