#!/bin/bash
# A target that forks 200 short-lived children at once (each ~30 ms of CPU)
# loses under 1% of its samples at 997 Hz, and report --processes lists
# every one of the 201 processes. (With proftop at the target's priority,
# 200 runnable children on 2 CPUs starved it: 36-63% of the samples lost,
# 117-161 processes listed.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload forker)
[ "$(id -u)" -eq 0 ] || pt_skip "proftop raises its priority above the target's only as root (or with CAP_SYS_NICE)"
PT_TIMEOUT=120

pt_proftop "$PT_WORK/out.txt" report --processes --limit 0 -F 997 -- "$w" 200 30 200
pt_eq "proftop's exit status" "$PT_RC" 0
pt_eq "the workload's last line" "$(grep '^forker:' "$PT_WORK/out.txt")" "forker: 200 children"
header=$(grep -m1 ' samples (' "$PT_WORK/out.txt")
echo "# header: $header"
samples=$(echo "$header" | sed -n 's/^\([0-9,]*\) samples.*/\1/p' | tr -d ,)
lost=$(echo "$header" | sed -n 's/.*; \([0-9,]*\) lost;.*/\1/p' | tr -d ,)
if pt_num "$samples" && pt_num "$lost"; then
	pt_le "lost samples, in per mille of all asked for ($lost lost, $samples kept)" \
		$((lost * 1000 / (samples + lost + 1))) 9
else
	pt_fail "expected 'N samples ... ; M lost;' in the header, saw '$header'"
fi
procs=$(awk '$1 ~ /^[0-9]+$/ && $6 == "forker" { n++ } END { print n + 0 }' "$PT_WORK/out.txt")
pt_eq "processes listed by report --processes" "$procs" 201
pt_finish
