#!/bin/bash
# --calls counts exactly: calls_seven/lib_seven 7N times and calls_once/lib_once
# N times, in the executable and in a shared library, spread over threads the
# program creates after the probes are in place; for a launched program (from
# its first instruction) and for an attached one (from the attach on).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload calls)
N=1500
FUNCS=calls_seven,calls_once,lib_seven,lib_once

# calls_json FILE FUNCTION: "calls lower_bound" of FUNCTION's row in a JSON report.
calls_json()
{
	grep -o "{\"function\":\"$2\"[^}]*}" "$1" | head -n 1 |
		sed -n 's/.*"calls":\([0-9]*\),"calls_lower_bound":\([a-z]*\).*/\1 \2/p'
}

need_uprobes()
{
	if grep -q "cannot count calls" "$1.err"; then
		pt_skip "uprobes do not work here: $(grep "cannot count calls" "$1.err" | head -n 1)"
	fi
}

check_counts()
{
	local out=$1 how=$2
	pt_eq "$how: calls_seven (executable, 7N)" "$(calls_json "$out" calls_seven)" "$((7 * N)) false"
	pt_eq "$how: calls_once (executable, N)" "$(calls_json "$out" calls_once)" "$N false"
	pt_eq "$how: lib_seven (libcalls.so, 7N)" "$(calls_json "$out" lib_seven)" "$((7 * N)) false"
	pt_eq "$how: lib_once (libcalls.so, N)" "$(calls_json "$out" lib_once)" "$N false"
}

# Launched: the probes are placed before exec.
pt_proftop "$PT_WORK/launch.json" report --format json --limit 0 --calls "$FUNCS" \
	--calls-budget 100 -- "$w" "$N" 3
need_uprobes "$PT_WORK/launch.json"
pt_eq "launched: exit status" "$PT_RC" 0
check_counts "$PT_WORK/launch.json" launched
if grep -q '"calls":{"from_attach":false' "$PT_WORK/launch.json"; then
	pt_ok "launched: the JSON header says the counts are not from an attach"
else
	pt_fail "launched: expected \"calls\":{\"from_attach\":false in the JSON header"
fi

# The same in the text report: exact counts have no ">=".
pt_proftop "$PT_WORK/launch.txt" report --sort calls --limit 4 --calls "$FUNCS" \
	--calls-budget 100 -- "$w" "$N" 3
seen=$(awk '$NF == "[libcalls.so]" && $(NF-2) == "lib_seven" { print $1 }' "$PT_WORK/launch.txt")
pt_eq "launched, text: ncalls of lib_seven" "$seen" "$((7 * N))"

# Attached: the program waits until it sees the breakpoints (int3 over the
# first byte of each function), then calls.
"$w" "$N" 3 --wait >"$PT_WORK/attached.out" 2>"$PT_WORK/attached.err" &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$w" 0
pt_proftop "$PT_WORK/attach.json" report --format json --limit 0 --calls "$FUNCS" \
	--calls-budget 100 -p "$pid"
need_uprobes "$PT_WORK/attach.json"
wait "$pid"
wrc=$?
pt_eq "attached: the program saw its probes and finished (exit status)" "$wrc" 0
pt_eq "attached: proftop exit status" "$PT_RC" 0
check_counts "$PT_WORK/attach.json" attached
if grep -q '"calls":{"from_attach":true' "$PT_WORK/attach.json"; then
	pt_ok "attached: the JSON header says the counts run from the attach on"
else
	pt_fail "attached: expected \"calls\":{\"from_attach\":true in the JSON header"
fi
pt_finish
