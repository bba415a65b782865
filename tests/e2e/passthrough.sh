#!/bin/bash
# The target's stdout and stderr pass through untouched: its stdout line
# comes first, byte for byte as when run alone, then the report.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares)

"$w" 0.3 >"$PT_WORK/alone.out" 2>"$PT_WORK/alone.err"
pt_report "$PT_WORK/out.csv" -- "$w" 0.3 || pt_finish
line=$(cat "$PT_WORK/alone.out")
line_no=$(grep -nxF "$line" "$PT_WORK/out.csv" | head -n 1 | cut -d: -f1)
header_no=$(tr -d '\r' <"$PT_WORK/out.csv" | grep -nxF "$PT_CSV_HEADER" | head -n 1 | cut -d: -f1)
if [ -z "$line_no" ]; then
	pt_fail "expected the target's line '$line' on proftop's stdout; saw:"
	sed 's/^/#   /' "$PT_WORK/out.csv" | head -n 10
elif [ "$line_no" -lt "$header_no" ]; then
	pt_ok "target's stdout line $line_no comes before the report (line $header_no)"
else
	pt_fail "expected the target's line before the report; it is line $line_no, the header line $header_no"
fi
if grep -qxF "$(cat "$PT_WORK/alone.err")" "$PT_WORK/out.csv.err"; then
	pt_ok "target's stderr line came through on stderr"
else
	pt_fail "expected '$(cat "$PT_WORK/alone.err")' on proftop's stderr; saw:"
	sed 's/^/#   /' "$PT_WORK/out.csv.err" | head -n 10
fi

# With --output FILE, stdout holds the target's output only.
pt_proftop "$PT_WORK/stdout" report --format csv --output "$PT_WORK/report.csv" -- "$w" 0.3
pt_eq "exit status with --output" "$PT_RC" 0
pt_eq "stdout with --output FILE" "$(cat "$PT_WORK/stdout")" "$line"
if tr -d '\r' <"$PT_WORK/report.csv" 2>/dev/null | grep -qxF "$PT_CSV_HEADER"; then
	pt_ok "--output FILE holds the report"
else
	pt_fail "expected the CSV report in the --output file"
fi
pt_finish
