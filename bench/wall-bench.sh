#!/bin/bash
# The wall clock's cost on its worst case: tests/workloads/pingpong, two
# threads handing a byte over pipes (every turn is two context switches).
# Each round runs, in a rotated order:
#    alone   the target by itself
#    cpu     proftop record -- target            (the CPU clock)
#    wall    proftop record --clock wall -- target
#    sched   perf record -e sched:sched_switch --call-graph dwarf -- target
#            (this perf has no --off-cpu; its nearest equivalent)
# and takes, within the round: the target's slowdown (its round trips per
# second alone over those under the profiler), the profiler's CPU per
# second of the target's run (the outer timer's total less the inner
# one's: the target's), and records per second (proftop's samples and
# waits; perf's SAMPLE events). Then median [min .. max] over the rounds.
# Prints; asserts nothing.
#
# Usage: bench/wall-bench.sh [BUILDDIR]      (bench/bench.sh calls it)
# Environment: BENCH_WALL_SECONDS (default 3), BENCH_ROUNDS (default 5).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
bench_timer "$builddir"
PROFTOP=${PROFTOP:-$builddir/proftop}
PINGPONG=$builddir/tests/workloads/pingpong
SECS=${BENCH_WALL_SECONDS:-3}
RUNS=${BENCH_ROUNDS:-5}

echo
echo "== wall clock cost: pingpong $SECS s (context switches as fast as they come), $RUNS rounds in rotated order"
if [ ! -x "$PINGPONG" ] || [ ! -x "$PROFTOP" ] || [ -z "$have_time" ]; then
	echo "needs $PROFTOP, $PINGPONG (make check builds it) and bench/cputime or /usr/bin/time: skipped"
	exit 0
fi
modes="alone cpu wall"
if command -v perf >/dev/null 2>&1 &&
	perf record -q -e sched:sched_switch -o /dev/null -- true >/dev/null 2>&1; then
	modes="$modes sched"
else
	echo "(perf record -e sched:sched_switch does not work here: no perf column)"
fi
bench_workdir wall-bench

# run MODE N: prints "rate profiler_cpu_s target_wall_s records lost"
# ("n/a" where none).
run()
{
	local mode=$1 t=$W/$1.$2 rate recs lost=n/a
	case $mode in
	alone) "${timer[@]}" "$t.in" "$PINGPONG" "$SECS" >"$t.out" 2>"$t.err" ;;
	cpu | wall)
		"${timer[@]}" "$t.outer" "$PROFTOP" record --clock "$mode" -o "$t.proftop" -- \
			"${inner[@]}" "$t.in" "$PINGPONG" "$SECS" >"$t.out" 2>"$t.err"
		;;
	sched)
		"${timer[@]}" "$t.outer" perf record -q -e sched:sched_switch --call-graph dwarf \
			-o "$t.data" -- "${inner[@]}" "$t.in" "$PINGPONG" "$SECS" >"$t.out" 2>"$t.err"
		;;
	esac
	rate=$(sed -n 's/.*(\([0-9]*\) per s).*/\1/p' "$t.out" | tail -n 1)
	case $mode in
	cpu | wall)
		recs=$(sed -n 's/.*: \([0-9]*\) samples in.*/\1/p' "$t.err")
		"$PROFTOP" report -i "$t.proftop" --format json --limit 1 >"$t.json" 2>/dev/null &&
			lost=$(json_num "$t.json" lost)
		;;
	sched) recs=$(perf report -i "$t.data" --stats 2>/dev/null |
		awk '/SAMPLE events:/ { print $3; exit }') ;;
	*) recs= ;;
	esac
	if [ "$mode" = alone ]; then
		echo "${rate:-n/a} n/a $(awk '{ print $1 }' "$t.in") n/a n/a"
	else
		paste -d' ' "$t.outer" "$t.in" | awk -v r="${rate:-n/a}" -v n="${recs:-n/a}" -v l="$lost" \
			'{ printf "%s %.3f %.3f %s %s\n", r, ($2 + $3) - ($6 + $7), $5, n, l }'
	fi
	rm -f "$t.data" "$t.proftop"
}

rounds $modes
printf '%-8s %-28s %-28s %-24s %s\n' mode "slowdown (x alone)" "profiler CPU per target s" \
	"records per s" "lost (proftop)"
for mode in $modes; do
	rows alone "$mode" >"$W/$mode.pairs"
	slow=$(awk '$1 > 0 && $6 > 0 { print $1 / $6 }' "$W/$mode.pairs" | spread %.2f x)
	cpu=$(awk '$8 > 0 && $7 != "n/a" { print $7 / $8 }' "$W/$mode.pairs" | spread %.3f)
	recs=$(awk '$8 > 0 && $9 != "n/a" { print $9 / $8 }' "$W/$mode.pairs" | spread %.0f)
	lost=$(awk '$10 != "n/a" { print $10 }' "$W/$mode.pairs" | spread %.0f)
	printf '%-8s %-28s %-28s %-24s %s\n' "$mode" "$slow" "$cpu" "$recs" "$lost"
	[ "$mode" = wall ] && summary "wall clock: pingpong slowdown" "" "$slow" \
		"$(awk '$1 > 0 && $6 > 0 { print $1 / $6 }' "$W/sched.pairs" 2>/dev/null | spread %.2f x)"
done
# wall against cpu within each round: what the off-CPU records add
for n in $(seq "$RUNS"); do paste -d' ' "$W/cpu.$n.row" "$W/wall.$n.row"; done |
	awk '$3 > 0 && $8 > 0 && $2 > 0 { print ($7 / $8) / ($2 / $3) }' | spread %.1f x |
	sed 's/^/wall\/cpu profiler CPU per target s, paired: /'
[ -s "$W/wall.1.err" ] && grep -v 'samples in' "$W/wall.1.err" | head -n 2
