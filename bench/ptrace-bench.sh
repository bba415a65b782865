#!/bin/bash
# The cost of proftop's ptrace backend to the profiled program, next to the
# perf backend's, each at its default rate (ptrace 99 Hz, perf 997 Hz), on
# the same workload (tests/workloads/shares, ~5 s) in the same run. Each
# figure is the median of RUNS runs. Prints; asserts nothing. On a busy
# machine trust the CPU rows more than the wall ones.
#
# The target runs under /usr/bin/time inside proftop, so its own CPU and
# wall time are known; "held" is what proftop measured itself: the time
# its samples kept the target's threads stopped.
#
# Usage: bench/ptrace-bench.sh [BUILDDIR]      (bench/bench.sh calls it)
# Environment: BENCH_PTRACE_SCALE (default 3), BENCH_PTRACE_RUNS (default 3).

builddir=$(cd "${1:-.}" && pwd) || exit 1
PROFTOP=${PROFTOP:-$builddir/proftop}
SHARES=$builddir/tests/workloads/shares
SCALE=${BENCH_PTRACE_SCALE:-3}
RUNS=${BENCH_PTRACE_RUNS:-3}

echo
echo "== ptrace backend overhead: shares $SCALE, median of $RUNS runs"
if [ ! -x "$SHARES" ] || [ ! -x "$PROFTOP" ] || [ ! -x /usr/bin/time ]; then
	echo "needs $PROFTOP, $SHARES (make check builds it) and /usr/bin/time: skipped"
	exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/proftop-ptrace-bench.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

# median VALUES...: the middle one (n/a if any is not a number).
median()
{
	local v
	for v in "$@"; do
		[[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo n/a; return; }
	done
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# run MODE N: one run; prints "wall cpu held_pct samples" of the target.
run()
{
	local mode=$1 n=$2 t=$W/$1.$2 json
	case $mode in
	alone)
		/usr/bin/time -f '%e %U %S' -o "$t.time" "$SHARES" "$SCALE" >/dev/null 2>&1
		awk '{ printf "%.2f %.2f - -\n", $1, $2 + $3 }' "$t.time"
		;;
	*)
		if ! "$PROFTOP" report --backend "$mode" --format json --output "$t.json" -- \
			/usr/bin/time -f '%e %U %S' -o "$t.time" "$SHARES" "$SCALE" \
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
			printf "%.2f %.2f %.2f %s\n", $1, $2 + $3, (cpu > 0 ? 100 * held / cpu : 0), n
		}' "$t.time"
		;;
	esac
}

# The modes take turns, run after run, so that a change in the machine's
# load hits all three alike.
declare -A wall cpu held samples
for n in $(seq "$RUNS"); do
	for mode in alone ptrace perf; do
		run "$mode" "$n" >"$W/$mode.$n.row"
	done
done
for mode in alone ptrace perf; do
	w=() c=() h=() s=()
	for n in $(seq "$RUNS"); do
		read -r a b d e <"$W/$mode.$n.row"
		w+=("$a") c+=("$b") h+=("$d") s+=("$e")
	done
	wall[$mode]=$(median "${w[@]}")
	cpu[$mode]=$(median "${c[@]}")
	held[$mode]=$(median "${h[@]}")
	samples[$mode]=$(median "${s[@]}")
	if [ "${wall[$mode]}" = n/a ] && [ -s "$W/$mode.1.err" ]; then
		echo "$mode failed: $(head -n 1 "$W/$mode.1.err")"
	fi
done

pct()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%+.1f%%", 100 * (a - b) / b
		else print "n/a" }'
}

printf '%-30s %12s %12s %12s\n' "" alone "ptrace 99Hz" "perf 997Hz"
printf '%-30s %12s %12s %12s\n' "target wall (s)" "${wall[alone]}" "${wall[ptrace]}" "${wall[perf]}"
printf '%-30s %12s %12s %12s\n' "target wall slowdown" - "$(pct "${wall[ptrace]}" "${wall[alone]}")" \
	"$(pct "${wall[perf]}" "${wall[alone]}")"
printf '%-30s %12s %12s %12s\n' "target CPU (s)" "${cpu[alone]}" "${cpu[ptrace]}" "${cpu[perf]}"
printf '%-30s %12s %12s %12s\n' "target CPU slowdown" - "$(pct "${cpu[ptrace]}" "${cpu[alone]}")" \
	"$(pct "${cpu[perf]}" "${cpu[alone]}")"
printf '%-30s %12s %12s %12s\n' "held stopped (% of its CPU)" - "${held[ptrace]}" -
printf '%-30s %12s %12s %12s\n' "samples" - "${samples[ptrace]}" "${samples[perf]}"
