#!/bin/bash
# The cost of proftop's ptrace backend to the profiled program, next to the
# perf backend's, each at its default rate (ptrace 99 Hz, perf 997 Hz), on
# the same workload (tests/workloads/shares) in the same run. The three
# modes (alone, ptrace, perf) take turns in a rotated order, round after
# round; a slowdown is computed within a round against that round's run
# alone, then shown as median [min .. max] over the rounds. Prints;
# asserts nothing. On a busy machine trust the CPU rows more than the
# wall ones.
#
# The target runs under a timer (bench/cputime or /usr/bin/time) inside proftop, so its own CPU and
# wall time are known; "held" is what proftop measured itself: the time
# its samples kept the target's threads stopped.
#
# Usage: bench/ptrace-bench.sh [BUILDDIR]      (bench/bench.sh calls it)
# Environment: BENCH_PTRACE_SCALE (default 3), BENCH_ROUNDS (default 5).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
bench_timer "$builddir"
PROFTOP=${PROFTOP:-$builddir/proftop}
SHARES=$builddir/tests/workloads/shares
SCALE=${BENCH_PTRACE_SCALE:-3}
RUNS=${BENCH_PTRACE_RUNS:-${BENCH_ROUNDS:-5}}

echo
echo "== ptrace backend overhead: shares $SCALE, $RUNS rounds in rotated order"
if [ ! -x "$SHARES" ] || [ ! -x "$PROFTOP" ] || [ -z "$have_time" ]; then
	echo "needs $PROFTOP, $SHARES (make check builds it) and bench/cputime or /usr/bin/time: skipped"
	exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/proftop-ptrace-bench.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

# run MODE N: one run; prints "wall cpu held_pct samples" of the target.
run()
{
	local mode=$1 n=$2 t=$W/$1.$2 json
	case $mode in
	alone)
		"${timer[@]}" "$t.time" "$SHARES" "$SCALE" >/dev/null 2>&1
		awk '{ printf "%.3f %.3f - -\n", $1, $2 + $3 }' "$t.time"
		;;
	*)
		if ! "$PROFTOP" report --backend "$mode" --format json --output "$t.json" -- \
			"${timer[@]}" "$t.time" "$SHARES" "$SCALE" \
			>/dev/null 2>"$t.err"; then
			echo "n/a n/a n/a n/a"
			return
		fi
		json=$(cat "$t.json")
		awk -v j="$json" '
		function val(key) {
			if (!match(j, "\"" key "\":[0-9.]+"))
				return ""
			return substr(j, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
		}
		{	cpu = val("cpu_s"); held = val("held_s"); n = val("samples")
			printf "%.3f %.3f %.2f %s\n", $1, $2 + $3, (cpu > 0 ? 100 * held / cpu : 0), n
		}' "$t.time"
		;;
	esac
}

# The modes take turns, in a rotated order, so that a change in the
# machine's load hits all three alike.
rounds alone ptrace perf
# per round: wall and CPU slowdowns against the same round's run alone
rows alone ptrace perf | awk -v W="$W" '
	function num(x) { return x ~ /^[0-9]+(\.[0-9]+)?$/ }
	function pct(a, b) { return (num(a) && num(b) && b > 0) ? sprintf("%.2f", 100 * (a - b) / b) : "n/a" }
	{	print $1 >> (W "/wall.alone"); print $2 >> (W "/cpu.alone")
		print $5 >> (W "/wall.ptrace"); print $6 >> (W "/cpu.ptrace")
		print $7 >> (W "/held.ptrace"); print $8 >> (W "/samples.ptrace")
		print $9 >> (W "/wall.perf"); print $10 >> (W "/cpu.perf"); print $12 >> (W "/samples.perf")
		print pct($5, $1) >> (W "/wslow.ptrace"); print pct($9, $1) >> (W "/wslow.perf")
		print pct($6, $2) >> (W "/cslow.ptrace"); print pct($10, $2) >> (W "/cslow.perf")
	}'
s() { spread "$1" "$3" <"$W/$2" 2>/dev/null || echo n/a; }

printf '%-28s %-24s %-24s %s\n' "" alone "ptrace 99Hz" "perf 997Hz"
printf '%-28s %-24s %-24s %s\n' "target wall (s)" "$(s %.2f wall.alone)" "$(s %.2f wall.ptrace)" "$(s %.2f wall.perf)"
printf '%-28s %-24s %-24s %s\n' "target wall slowdown (%)" - "$(s %+.1f wslow.ptrace)" "$(s %+.1f wslow.perf)"
printf '%-28s %-24s %-24s %s\n' "target CPU (s)" "$(s %.2f cpu.alone)" "$(s %.2f cpu.ptrace)" "$(s %.2f cpu.perf)"
printf '%-28s %-24s %-24s %s\n' "target CPU slowdown (%)" - "$(s %+.1f cslow.ptrace)" "$(s %+.1f cslow.perf)"
printf '%-28s %-24s %-24s %s\n' "held stopped (% of its CPU)" - "$(s %.2f held.ptrace)" -
printf '%-28s %-24s %-24s %s\n' "samples" - "$(s %.0f samples.ptrace)" "$(s %.0f samples.perf)"
summary "proftop --backend ptrace: target CPU slowdown" "-" "ptrace 99Hz $(s %+.1f cslow.ptrace %)" \
	"(proftop's perf backend, 997Hz: $(s %+.1f cslow.perf %))"
