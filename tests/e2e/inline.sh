#!/bin/bash
# An always_inline helper is its own function: its self time is half of its
# caller's total (±3 points), and the caller's total includes it.
#   inline_caller: own loop 40%, inlined_helper 40% (inside it); contrast 20%.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload inline)

pt_report "$PT_WORK/out.csv" -- "$w" || pt_finish
helper_self=$(pt_csv "$PT_WORK/out.csv" inlined_helper self_pct)
caller_self=$(pt_csv "$PT_WORK/out.csv" inline_caller self_pct)
caller_total=$(pt_csv "$PT_WORK/out.csv" inline_caller total_pct)
pt_near "inlined_helper self_pct" "$helper_self" 40 3
pt_near "inline_caller self_pct (without the helper)" "$caller_self" 40 3
pt_near "inline_caller total_pct" "$caller_total" 80 3
pt_near "contrast self_pct" "$(pt_csv "$PT_WORK/out.csv" contrast self_pct)" 20 3
if pt_num "$helper_self" && pt_num "$caller_total"; then
	pt_near "inlined_helper self as % of inline_caller total" \
		"$(awk -v h="$helper_self" -v c="$caller_total" 'BEGIN { printf "%.2f", (c > 0 ? 100 * h / c : 0) }')" 50 3
	# (more than the sum by the samples taken in the kernel on top of them)
	pt_ge "inline_caller total_pct includes its self and the helper's" "$caller_total" \
		"$(awk -v a="$caller_self" -v b="$helper_self" 'BEGIN { printf "%.2f", a + b - 0.5 }')"
fi
# The inlined column says which rows perf would fold into their caller.
pt_eq "inlined_helper: inlined" "$(pt_csv "$PT_WORK/out.csv" inlined_helper inlined)" 1
pt_eq "inline_caller: not inlined" "$(pt_csv "$PT_WORK/out.csv" inline_caller inlined)" 0
pt_finish
