#!/bin/bash
# Any row a table shows can be selected on the command line. The samename
# workload has two static functions named step in two files of one binary
# (60% from run_a in samename.c, 40% from run_b in samename-b.c): "step"
# and "samename:step" are ambiguous, and the error lists the candidates
# in forms that select each alone; step@FILE, step@FILE:LINE (FILE the
# base name or a longer tail of the path) and module:step@FILE select one.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload samename)
s=$PT_WORK/run.proftop

pt_proftop "$PT_WORK/rec" record -o "$s" -- "$w"
pt_eq "record exit status" "$PT_RC" 0
[ -s "$s" ] || { pt_fail "no session recorded: $(head -n 1 "$PT_WORK/rec.err")"; pt_finish; }
pt_report "$PT_WORK/all.csv" -i "$s" --limit 0 || pt_finish
line_b=$(awk -F , '$1 == "step" && $3 ~ /samename-b\.c$/ { print $4; exit }' "$PT_WORK/all.csv")
is_number()
{
	if pt_num "$2"; then pt_ok "$1: $2"; else pt_fail "$1: expected a number, saw '$2'"; fi
}
is_number "the line of samename-b.c's step in the table" "$line_b"

# caller_of LABEL EXPECTED_CALLER SELECTOR: --callers SELECTOR names one
# function, whose only caller is EXPECTED_CALLER.
caller_of()
{
	local label=$1 want=$2 sel=$3
	if pt_report "$PT_WORK/c.csv" -i "$s" --callers "$sel"; then
		pt_eq "$label: --callers $sel" "$(pt_csv_rows "$PT_WORK/c.csv" relation function |
			awk -F '\t' '$1 == "caller" { print $2 }' | tr '\n' ' ')" "$want "
	fi
}
caller_of "base name" run_a step@samename.c
caller_of "base name" run_b step@samename-b.c
caller_of "base name and line" run_b "step@samename-b.c:$line_b"
caller_of "a longer tail of the path" run_a step@workloads/samename.c
caller_of "module and file" run_b samename:step@samename-b.c

# ambiguous LABEL SELECTOR: exit 1, one line listing forms that each work.
ambiguous()
{
	local label=$1 sel=$2 msg forms form callers
	pt_proftop "$PT_WORK/amb" report -i "$s" --format csv --callers "$sel"
	pt_eq "$label: exit status for --callers $sel" "$PT_RC" 1
	pt_one_line "$label" "$PT_WORK/amb.err"
	msg=$(head -n 1 "$PT_WORK/amb.err")
	forms=${msg#*use one of }
	if [ "$forms" = "$msg" ]; then
		pt_fail "$label: expected 'use one of' and the candidates, saw: $msg"
		return
	fi
	callers=""
	IFS=', ' read -r -a list <<<"$forms"
	pt_eq "$label: candidates listed" "${#list[@]}" 2
	for form in "${list[@]}"; do
		if pt_report "$PT_WORK/f.csv" -i "$s" --callers "$form"; then
			callers="$callers $(pt_csv_rows "$PT_WORK/f.csv" relation function |
				awk -F '\t' '$1 == "caller" { print $2 }')"
		fi
	done
	pt_eq "$label: the listed forms select the two steps" "$(tr ' ' '\n' <<<"$callers" | sort | tr '\n' ' ')" " run_a run_b "
}
ambiguous "a name" step
ambiguous "module:FUNC" samename:step

pt_proftop "$PT_WORK/none" report -i "$s" --callers step@nosuch.c
pt_eq "step@nosuch.c: exit status" "$PT_RC" 1
pt_one_line "step@nosuch.c" "$PT_WORK/none.err"
# --lines takes the same forms.
pt_proftop "$PT_WORK/lines" report -i "$s" --lines "step@samename-b.c"
pt_eq "--lines step@samename-b.c: exit status" "$PT_RC" 0
if grep -q 'SPIN(4 \* n)' "$PT_WORK/lines"; then
	pt_ok "--lines step@samename-b.c shows samename-b.c's step"
else
	pt_fail "--lines step@samename-b.c: expected the line 'SPIN(4 * n)'; saw:"
	sed 's/^/#   /' "$PT_WORK/lines" "$PT_WORK/lines.err" | head -n 10
fi
pt_finish
