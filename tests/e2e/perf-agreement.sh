#!/bin/bash
# proftop agrees with perf on a real program (the demo). Both profile the
# same run: perf record -e cpu-clock -F 997 --call-graph dwarf runs proftop,
# which runs the demo; perf's samples of the demo process (its comm) give
# the truth, with inlined frames as functions as proftop counts them. The
# five functions with the most self time have the same self share in
# proftop's report, ±3 points each. proftop samples at 1009 Hz, not at
# perf's 997: two timers at one rate keep one phase apart for the whole
# run, and where the program repeats itself near that rate each sees its
# own phase of it (count_words and the strcmp it calls came out 4-5
# points apart in 2 runs of 7, the run-to-run spread above what ~2,500
# samples each allow); at two rates the phases drift through each other.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
demo=$top_builddir/proftop-demo
[ -x "$demo" ] || pt_skip "$demo not built"
pt_need_perf
ROUNDS=30 # about 2.5 s; fewer rounds make the two samplers disagree more by chance

echo "# perf record -e cpu-clock -F 997 --call-graph dwarf -- proftop report --format csv -F 1009 -- proftop-demo $ROUNDS"
timeout -k 5 "$PT_TIMEOUT" perf record -q -e cpu-clock -F 997 --call-graph dwarf -o "$PT_WORK/perf.data" \
	-- "$PROFTOP" report --format csv -F 1009 -- "$demo" "$ROUNDS" >"$PT_WORK/out.csv" 2>"$PT_WORK/out.csv.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -Eq "$PT_PERM_RE" "$PT_WORK/out.csv.err"; then
	pt_skip "perf_event_open refused: $(grep -E -m1 "$PT_PERM_RE" "$PT_WORK/out.csv.err")"
fi
pt_eq "proftop exit status (under perf record)" "$rc" 0
if ! tr -d '\r' <"$PT_WORK/out.csv" | grep -qxF "$PT_CSV_HEADER"; then
	pt_fail "expected proftop's CSV report; stdout and stderr:"
	sed 's/^/#   /' "$PT_WORK/out.csv" "$PT_WORK/out.csv.err" | head -n 20
	pt_finish
fi
pt_perf_profile "$PT_WORK/perf.data" --comms proftop-demo >"$PT_WORK/perf.tsv"
if [ ! -s "$PT_WORK/perf.tsv" ]; then
	pt_fail "perf recorded no samples of proftop-demo: did proftop run it?"
	pt_finish
fi
pt_csv_rows "$PT_WORK/out.csv" function self_pct |
	while IFS=$'\t' read -r f v; do printf '%s\t%s\n' "$(pt_norm_name "$f")" "$v"; done \
		>"$PT_WORK/proftop.tsv"

echo "# function                          perf self%  proftop self%"
head -n 5 "$PT_WORK/perf.tsv" | while IFS=$'\t' read -r f s _; do
	p=$(awk -F '\t' -v f="$f" '$1 == f { print $2; exit }' "$PT_WORK/proftop.tsv")
	printf '# %-34s %9s  %12s\n' "$f" "$s" "${p:--}"
done
while IFS=$'\t' read -r f s _; do
	p=$(awk -F '\t' -v f="$f" '$1 == f { print $2; exit }' "$PT_WORK/proftop.tsv")
	pt_near "$f self_pct (perf: $s)" "${p:-absent}" "$s" 3
done < <(head -n 5 "$PT_WORK/perf.tsv")
pt_finish
