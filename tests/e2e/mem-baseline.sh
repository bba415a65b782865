#!/bin/bash
# report --memory --baseline: memory per function, old against new. A
# recorded memtouch (touch_heap: 64 MiB) against a run of the same: nothing
# flagged, exit 0; against a run whose touch_heap takes 96 MiB: touch_heap
# +50%, flagged past --threshold 20%, --fail-on-regression exits 3; the
# Markdown heading says so. (The compared measure is allocated bytes, or
# faulted bytes when neither run tracked allocations.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload memtouch)
base=$PT_WORK/base.proftop

# mem_diff FILE FUNCTION COLUMN: COLUMN of FUNCTION's row in the comparison
# ("pct": the compared measure's change in percent)
mem_diff()
{
	awk -F, -v fn="$2" -v want="$3" '
		/^function,module,base_allocated_bytes,/ { for (i = 1; i <= NF; i++) col[$i] = i; on = 1; next }
		on && $1 == fn {
			if (want == "pct")
				print ($col["base_allocated_bytes"] > 0 ? $col["delta_allocated_pct"] : $col["delta_faulted_pct"])
			else
				print $col[want]
			exit
		}' "$1"
}

pt_proftop "$PT_WORK/record.out" record -o "$base" -- "$w"
pt_eq "record: exit status" "$PT_RC" 0

pt_proftop "$PT_WORK/same.csv" report --memory --baseline "$base" --threshold 20% \
	--fail-on-regression --format csv --limit 0 -- "$w"
pt_eq "the same program again: exit status (nothing flagged)" "$PT_RC" 0
pt_near "the same program again: touch_heap's change in %" "$(mem_diff "$PT_WORK/same.csv" touch_heap pct)" 0 10
pt_eq "the same program again: touch_heap flagged" "$(mem_diff "$PT_WORK/same.csv" touch_heap regression)" 0

pt_proftop "$PT_WORK/grown.csv" report --memory --baseline "$base" --threshold 20% \
	--fail-on-regression --format csv --limit 0 -- "$w" 96
pt_eq "touch_heap 64 -> 96 MiB: exit status (a regression)" "$PT_RC" 3
pt_near "touch_heap 64 -> 96 MiB: its change in %" "$(mem_diff "$PT_WORK/grown.csv" touch_heap pct)" 50 10
pt_eq "touch_heap 64 -> 96 MiB: touch_heap flagged" "$(mem_diff "$PT_WORK/grown.csv" touch_heap regression)" 1
pt_eq "touch_heap 64 -> 96 MiB: touch_mmap flagged" "$(mem_diff "$PT_WORK/grown.csv" touch_mmap regression)" 0

pt_proftop "$PT_WORK/grown.md" report --memory --baseline "$base" --fail-on-regression \
	--format markdown -- "$w" 96
pt_eq "markdown: exit status" "$PT_RC" 3
heading=$(grep -m1 '^###' "$PT_WORK/grown.md")
case $heading in
*"MEMORY REGRESSION"*) pt_ok "markdown heading: $heading" ;;
*) pt_fail "expected a '### proftop: MEMORY REGRESSION' heading, saw '$heading'" ;;
esac
pt_finish
