#!/bin/bash
# --latency: nap() sleeps 20 ms a call, 25 calls: the report says 25 calls
# and a median within 2% of the median the program measured itself around
# its calls (a loaded machine overshoots sleeps: that is what a call took),
# and that is itself at least the 20 ms asked for. nest() recurses 5 deep
# with 2 ms of sleep at the bottom: 60 calls, every one at least 2 ms
# (entries paired with their own returns). Text, CSV and JSON.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload calls-sleep)

pt_proftop "$PT_WORK/lat.json" report --format json --latency nap,nest -- "$w" 25 20
if grep -q "cannot count calls" "$PT_WORK/lat.json.err"; then
	pt_skip "uprobes do not work here: $(head -n 1 "$PT_WORK/lat.json.err")"
fi
pt_eq "exit status" "$PT_RC" 0

# field FUNCTION KEY: a value of FUNCTION's latency record.
field()
{
	grep -o "{\"function\":\"$1\",\"module\":[^[]*" "$PT_WORK/lat.json" | head -n 1 |
		sed -n "s/.*\"$2\":\([0-9.a-z]*\).*/\1/p"
}
pt_eq "nap: calls" "$(field nap calls)" 25
own=$(sed -n 's/^nap median \([0-9.]*\)$/\1/p' "$PT_WORK/lat.json")
pt_ge "nap: the program's own median (s)" "$own" 0.020
pt_near "nap: median (s), against the program's own" "$(field nap median_s)" "$own" \
	"$(awk -v m="$own" 'BEGIN { printf "%.6f", m * 0.02 }')"
pt_ge "nap: min (s)" "$(field nap min_s)" 0.020
pt_eq "nap: stopped over the budget" "$(field nap stopped)" false
pt_eq "nest: calls (10 x 6 nested)" "$(field nest calls)" 60
pt_ge "nest: min (s): every nested call holds the 2 ms sleep" "$(field nest min_s)" 0.002
pt_le "nest: median (s)" "$(field nest median_s)" 0.010
# The histogram's buckets add up to the calls.
sum=$(grep -o "{\"function\":\"nap\".*" "$PT_WORK/lat.json" | sed 's/"function":"nest".*//' |
	grep -o '"count":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')
pt_eq "nap: histogram counts add up to the calls" "$sum" 25
# ncalls comes from the entries too.
if grep -q '{"function":"nap"[^}]*"calls":25,' "$PT_WORK/lat.json"; then
	pt_ok "nap's row in the function table has ncalls 25"
else
	pt_fail "expected nap's function row with \"calls\":25"
fi

pt_proftop "$PT_WORK/lat.txt" report --latency nap -- "$w" 5 20
if grep -q "^Latency of nap (calls-sleep.c:[0-9]*) \[calls-sleep\]" "$PT_WORK/lat.txt" &&
	grep -Eq '^ +5( +[0-9.]+ ms){7}$' "$PT_WORK/lat.txt" &&
	grep -Eq '\|#+ *\| [0-9]+$' "$PT_WORK/lat.txt"; then
	pt_ok "text: title, a row of 5 calls and 7 durations in ms, a histogram"
else
	pt_fail "text: expected the title, '5' and 7 durations in ms, histogram bars; saw:"
	sed 's/^/#   /' "$PT_WORK/lat.txt"
fi

pt_proftop "$PT_WORK/lat.csv" report --format csv --latency nap -- "$w" 5 20
hdr="function,module,calls,total_s,avg_s,min_s,median_s,p95_s,p99_s,max_s,stopped"
pt_eq "csv: header" "$(grep -m1 '^function,module,calls' "$PT_WORK/lat.csv")" "$hdr"
pt_eq "csv: nap's calls" "$(awk -F, '$1 == "nap" { print $3 }' "$PT_WORK/lat.csv")" 5
pt_finish
