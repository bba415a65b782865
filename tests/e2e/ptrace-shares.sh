#!/bin/bash
# The ptrace backend on its own (--backend ptrace): the 60/30/10 workload
# comes out as 60/30/10, unwound through run() and main() to the root, and
# the report says which backend ran, at its default 99 Hz unless -F says
# otherwise.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares)
PT_TIMEOUT=60

# 499 Hz over ~5 s of CPU: each sample weighs the CPU time since the last
# (schedstat), so the spread is wider than a count's; 2,500 samples keep
# it inside ±4 points.
pt_report "$PT_WORK/out.csv" --backend ptrace -F 499 -- "$w" 3 || pt_finish
pt_shares "$PT_WORK/out.csv" 4 work_sixty:60 work_thirty:30 work_ten:10
pt_ge "run total_pct" "$(pt_csv "$PT_WORK/out.csv" run total_pct)" 97
pt_ge "main total_pct" "$(pt_csv "$PT_WORK/out.csv" main total_pct)" 97
pt_ge "_start total_pct (unwound to the root)" "$(pt_csv "$PT_WORK/out.csv" _start total_pct)" 97

pt_proftop "$PT_WORK/out.txt" report --backend ptrace --limit 3 -- "$w" 0.2
pt_eq "exit status" "$PT_RC" 0
header=$(grep -m1 ' samples ' "$PT_WORK/out.txt")
case $header in
*"at 99 Hz, ptrace backend"*) pt_ok "the header names the backend and its rate: $header" ;;
*) pt_fail "expected 'at 99 Hz, ptrace backend' in the header, saw '$header'" ;;
esac
case $header in
*"samples held the target "*"% of its CPU time"*) pt_ok "the header shows the overhead" ;;
*) pt_fail "expected 'samples held the target N% of its CPU time' in the header" ;;
esac
pt_finish
