#!/bin/bash
# --calls top:2 on the 60/30/10 workload: after a second of sampling the two
# hottest functions (work_sixty, work_thirty) get probes; their counts are
# lower bounds (the first second's calls are missing) of at most the 200
# rounds; the third is not counted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares)

pt_proftop "$PT_WORK/top.json" report --format json --limit 0 --calls top:2 -- "$w"
if grep -q "cannot count calls" "$PT_WORK/top.json.err"; then
	pt_skip "uprobes do not work here: $(head -n 1 "$PT_WORK/top.json.err")"
fi
pt_eq "exit status" "$PT_RC" 0

row()
{
	grep -o "{\"function\":\"$1\",\"module\"[^}]*}" "$PT_WORK/top.json" | head -n 1
}
for f in work_sixty work_thirty; do
	r=$(row "$f")
	if [[ $r =~ \"calls\":([0-9]+),\"calls_lower_bound\":true ]]; then
		n=${BASH_REMATCH[1]}
		pt_ok "$f is counted from when top:2 chose it, a lower bound: >=$n"
		pt_ge "$f: calls counted" "$n" 1
		pt_le "$f: calls counted (of 200 rounds)" "$n" 199
	else
		pt_fail "expected $f with a count marked as a lower bound, saw: ${r:-no row}"
	fi
done
r=$(row work_ten)
if [[ $r =~ \"calls\":null ]]; then
	pt_ok "work_ten (third by own time) is not counted"
else
	pt_fail "expected work_ten with \"calls\":null, saw: ${r:-no row}"
fi
lb=$(grep -o '"lower_bounds":\[[^]]*\]' "$PT_WORK/top.json")
if [[ $lb =~ \"function\":\"work_sixty\"[^}]*\"over_budget\":false,\"rate\":[0-9.]+,\"since_s\":([0-9.]+) ]]; then
	pt_ge "work_sixty: counted since (s)" "${BASH_REMATCH[1]}" 0.9
else
	pt_fail "expected work_sixty among the header's lower bounds with since_s; saw: $lb"
fi
pt_finish
