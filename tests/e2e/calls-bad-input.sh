#!/bin/bash
# --calls and --latency on bad input: a name that matches nothing, one that
# matches several, a stripped program, a kernel without uprobes. Each gets
# one line on stderr saying which; profiling goes on, the report is printed,
# the exit status is 0. Bad option values are usage errors (status 2).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload calls)

need_uprobes()
{
	if grep -q "cannot count calls" "$1.err"; then
		pt_skip "uprobes do not work here: $(grep "cannot count calls" "$1.err" | head -n 1)"
	fi
}

# expect_line LABEL OUT REGEX: proftop exited 0, printed its report, and
# said exactly one line on stderr, matching REGEX.
expect_line()
{
	local label=$1 out=$2 re=$3
	pt_eq "$label: exit status" "$PT_RC" 0
	pt_one_line "$label" "$out.err"
	if grep -Eq "$re" "$out.err"; then
		pt_ok "$label: the line says $re"
	else
		pt_fail "$label: expected stderr to match '$re', saw: $(cat "$out.err")"
	fi
	if tr -d '\r' <"$out" | grep -qxE "$PT_CSV_HEADER"; then
		pt_ok "$label: the report is printed"
	else
		pt_fail "$label: expected the report (CSV header) on stdout"
	fi
}

# A name that matches nothing: said, and the other names are still counted.
pt_proftop "$PT_WORK/none.csv" report --format csv --limit 0 --calls no_such_function,calls_once \
	-- "$w" 100 1
need_uprobes "$PT_WORK/none.csv"
expect_line "unknown name" "$PT_WORK/none.csv" \
	"^proftop: --calls: no function 'no_such_function' in calls or the [0-9]+ libraries it maps"
pt_eq "unknown name: calls_once still counted" "$(pt_csv "$PT_WORK/none.csv" calls_once calls)" 100

# Several functions of that name: both named, module:FUNC suggested ...
pt_proftop "$PT_WORK/ambiguous.csv" report --format csv --limit 0 --calls calls_both -- "$w" 100 1
expect_line "ambiguous name" "$PT_WORK/ambiguous.csv" \
	"'calls_both' matches 2 functions: .*calls:calls_both.*libcalls.so:calls_both.*module:FUNC"
pt_eq "ambiguous name: not counted" "$(pt_csv "$PT_WORK/ambiguous.csv" calls_both calls)" ""
# ... and module:FUNC picks one.
pt_proftop "$PT_WORK/module.csv" report --format csv --limit 0 --calls calls:calls_both -- "$w" 100 1
pt_eq "calls:calls_both: exit status" "$PT_RC" 0
pt_eq "calls:calls_both: counted in the executable" \
	"$(pt_csv "$PT_WORK/module.csv" calls_both calls)" 100

# A stripped copy of the program (its library next to it, for $ORIGIN).
cp "$w" "$PT_WORK/calls-stripped"
cp "$PT_WL/libcalls.so" "$PT_WORK/"
if strip "$PT_WORK/calls-stripped" 2>/dev/null; then
	pt_proftop "$PT_WORK/stripped.csv" report --format csv --calls calls_once \
		-- "$PT_WORK/calls-stripped" 100 1
	expect_line "stripped program" "$PT_WORK/stripped.csv" \
		"no function 'calls_once' in .*calls-stripped, which is stripped \(no symbol table\)"
else
	echo "# strip is not installed: the stripped-program check is skipped"
fi

# A kernel without uprobes: the uprobe PMU hidden under an empty directory
# in a private mount namespace.
mkdir -p "$PT_WORK/empty"
if unshare -m sh -c "mount --bind '$PT_WORK/empty' /sys/bus/event_source/devices/uprobe" \
	2>/dev/null; then
	echo "# proftop report --calls calls_once (no uprobe PMU)"
	timeout -k 5 "$PT_TIMEOUT" unshare -m sh -c "mount --bind '$PT_WORK/empty' \
		/sys/bus/event_source/devices/uprobe && exec '$PROFTOP' report --format csv \
		--calls calls_once -- '$w' 100 1" >"$PT_WORK/nopmu.csv" 2>"$PT_WORK/nopmu.csv.err"
	PT_RC=$?
	expect_line "no uprobes" "$PT_WORK/nopmu.csv" \
		"cannot count calls: this kernel has no uprobe PMU .*; profiling goes on without counts"
	pt_eq "no uprobes: calls_once not counted" "$(pt_csv "$PT_WORK/nopmu.csv" calls_once calls)" ""
else
	echo "# cannot hide the uprobe PMU (unshare -m / mount refused): that check is skipped"
fi

# --latency on a name that matches nothing: the same line, and the view says so.
pt_proftop "$PT_WORK/lat.txt" report --latency no_such_function -- "$w" 10 1
pt_eq "latency, unknown name: exit status" "$PT_RC" 0
pt_one_line "latency, unknown name" "$PT_WORK/lat.txt.err"
if grep -q "^no latency data for 'no_such_function'" "$PT_WORK/lat.txt"; then
	pt_ok "latency, unknown name: the view says there is no data"
else
	pt_fail "latency, unknown name: expected \"no latency data for 'no_such_function'\""
fi

# Usage errors.
for args in "--calls-budget 0" "--calls-budget 101" "--calls-budget abc" "--calls top:0" \
	"--calls top:1000" "--calls a,,b" "--latency ,x"; do
	# shellcheck disable=SC2086 # the words are the options
	"$PROFTOP" report $args -- "$w" 1 1 >"$PT_WORK/usage.out" 2>"$PT_WORK/usage.err"
	rc=$?
	pt_eq "usage error for '$args': exit status" "$rc" 2
	if [ "$(head -n 1 "$PT_WORK/usage.err" | grep -c "^proftop: ")" -ne 1 ]; then
		pt_fail "usage error for '$args': expected 'proftop: ...' first on stderr"
	fi
done
pt_finish
