#!/bin/bash
# C++ names are demangled: "ns::Worker::spin(int)" (a method) and
# ns::crunch<unsigned long> (a template), 50% ±3 each.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload cxx)

pt_report "$PT_WORK/out.csv" -- "$w" || pt_finish
pt_near "ns::Worker::spin(int) self_pct" "$(pt_csv "$PT_WORK/out.csv" 'ns::Worker::spin(int)' self_pct)" 50 3
# The template's demangled name may or may not carry its return type.
row=$(pt_csv_like "$PT_WORK/out.csv" '(^|[ ])ns::crunch<unsigned long>\(unsigned long\)$' self_pct)
pt_near "ns::crunch<unsigned long>(unsigned long) self_pct (row '${row%%	*}')" "${row#*	}" 50 3
mangled=$(pt_csv_like "$PT_WORK/out.csv" '^_Z' function)
mangled=${mangled%%	*}
pt_eq "mangled names in the report" "${mangled:-none}" none
pt_finish
