#!/bin/bash
# C++ functions without DWARF linkage names (two lambdas of main, a method
# of an anonymous-namespace class, all inlined) get three rows, a third of
# the time each, under the names the demangler gives their symbols -- not
# one "operator()" row and a "churn" row.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload cxx-names)

pt_report "$PT_WORK/out.csv" -d 3 --limit 0 -- "$w" || pt_finish
for name in 'main::{lambda(unsigned long)#1}::operator()(unsigned long) const' \
	'main::{lambda(unsigned long)#2}::operator()(unsigned long) const' \
	'(anonymous namespace)::Mixer::churn(unsigned long)'; do
	pt_near "$name self_pct" "$(pt_csv "$PT_WORK/out.csv" "$name" self_pct)" 33 6
done
short=$(awk -F, 'NR > 1 && ($1 == "operator()" || $1 == "churn") { print $1 }' "$PT_WORK/out.csv")
pt_eq "rows under a short DWARF name" "${short:-none}" none

# perf report names the out-of-line functions as we do, less the return type
# and parameters it leaves out: each of its names opens one of ours
# ("mix" in "mix(unsigned long)").
if command -v perf >/dev/null; then
	# (perf exits with the workload's status: timeout's 124)
	timeout -k 5 30 perf record -q -o "$PT_WORK/perf.data" -- timeout 2 "$w" >/dev/null 2>&1
fi
if [ -s "$PT_WORK/perf.data" ]; then
	perf report -i "$PT_WORK/perf.data" --stdio --no-children -F overhead,sym -g none \
		2>/dev/null | awk '$2 == "[.]" && $1 + 0 >= 10 { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' \
		>"$PT_WORK/perf.names"
	while IFS= read -r name; do
		if awk -F, -v n="$name" 'NR > 1 && index($0, n "(") { found = 1 } END { exit !found }' \
			"$PT_WORK/out.csv"; then
			pt_ok "perf's '$name' is one of proftop's names"
		else
			pt_fail "perf's '$name' is in none of proftop's names"
		fi
	done <"$PT_WORK/perf.names"
	pt_ge "names perf gives 10% or more" "$(wc -l <"$PT_WORK/perf.names")" 3
else
	echo "# perf record unavailable: names compared by construction only"
fi
pt_finish
