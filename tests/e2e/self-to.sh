#!/bin/bash
# --self-to leaf|function. The inline workload: inline_caller's own loop
# 40%, the always_inline inlined_helper 40% inside it, contrast 20%.
# leaf (the default): the helper is its own row, self 40%.
# function (perf's view without inlines): inlined code's time goes to the
# out-of-line function holding it: inline_caller self 80%, no helper row;
# the totals are unchanged. The same from a saved session.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload inline)
s=$PT_WORK/run.proftop

pt_proftop "$PT_WORK/rec" record -o "$s" -- "$w"
pt_eq "record exit status" "$PT_RC" 0
[ -s "$s" ] || { pt_fail "no session recorded: $(head -n 1 "$PT_WORK/rec.err")"; pt_finish; }

pt_report "$PT_WORK/leaf.csv" -i "$s" --limit 0 || pt_finish
pt_report "$PT_WORK/leaf2.csv" -i "$s" --limit 0 --self-to leaf || pt_finish
pt_report "$PT_WORK/fn.csv" -i "$s" --limit 0 --self-to function || pt_finish

pt_near "leaf: inlined_helper self_pct" "$(pt_csv "$PT_WORK/leaf.csv" inlined_helper self_pct)" 40 3
pt_near "leaf: inline_caller self_pct" "$(pt_csv "$PT_WORK/leaf.csv" inline_caller self_pct)" 40 3
if cmp -s "$PT_WORK/leaf.csv" "$PT_WORK/leaf2.csv"; then
	pt_ok "--self-to leaf is the default: the same report"
else
	pt_fail "--self-to leaf: expected the default's report, saw a different one:"
	diff "$PT_WORK/leaf.csv" "$PT_WORK/leaf2.csv" | sed 's/^/#   /' | head -n 10
fi

pt_near "function: inline_caller self_pct (own loop + inlined helper)" \
	"$(pt_csv "$PT_WORK/fn.csv" inline_caller self_pct)" 80 3
pt_near "function: inline_caller total_pct" "$(pt_csv "$PT_WORK/fn.csv" inline_caller total_pct)" 80 3
pt_near "function: contrast self_pct" "$(pt_csv "$PT_WORK/fn.csv" contrast self_pct)" 20 3
pt_eq "function: no row for the inlined helper" "$(pt_csv "$PT_WORK/fn.csv" inlined_helper self_pct)" ""
# The callers of contrast and the callees of main agree: inline_caller, not the helper.
pt_report "$PT_WORK/callees.csv" -i "$s" --self-to function --callees inline_caller || pt_finish
pt_eq "function: inline_caller has no inlined_helper callee" \
	"$(pt_csv "$PT_WORK/callees.csv" inlined_helper total_pct callee)" ""

# A live run takes the option too.
pt_report "$PT_WORK/live.csv" --self-to function -- "$w" || pt_finish
pt_near "function (live run): inline_caller self_pct" \
	"$(pt_csv "$PT_WORK/live.csv" inline_caller self_pct)" 80 3

# perf's view without inlines (perf script --no-inline) agrees, ±3 points,
# on another run of the same workload.
if command -v perf >/dev/null 2>&1 &&
	timeout -k 5 "$PT_TIMEOUT" perf record -q -e cpu-clock -F 997 --call-graph dwarf \
		-o "$PT_WORK/perf.data" -- "$w" >"$PT_WORK/perf.out" 2>&1; then
	pt_perf_profile "$PT_WORK/perf.data" --no-inline >"$PT_WORK/perf.tsv"
	perf_self=$(awk -F '\t' '$1 == "inline_caller" { print $2 }' "$PT_WORK/perf.tsv")
	pt_near "function: inline_caller self_pct against perf --no-inline ($perf_self)" \
		"$(pt_csv "$PT_WORK/fn.csv" inline_caller self_pct)" "${perf_self:-none}" 3
	pt_eq "perf --no-inline has no inlined_helper row either" \
		"$(awk -F '\t' '$1 == "inlined_helper" { print $2 }' "$PT_WORK/perf.tsv")" ""
else
	echo "# perf record does not work here: the comparison with perf is left out"
fi

pt_proftop "$PT_WORK/bad" report -i "$s" --self-to inline
pt_eq "--self-to inline: exit status" "$PT_RC" 2
pt_eq "--self-to inline: the message" "$(head -n 1 "$PT_WORK/bad.err")" \
	"proftop: unknown '--self-to' value 'inline' (valid: leaf, function)"
pt_finish
