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
pt_finish
