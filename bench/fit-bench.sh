#!/bin/bash
# proftop's CPU per sample apart from its fixed cost, on the two-thread
# target (tests/workloads/threads) at a high rate, next to perf's. Each
# round runs, in a rotated order, at each run length (scale):
#    proftop   proftop report -F RATE -- threads S
#    perf      perf record -e cpu-clock -F RATE --call-graph dwarf (with
#              proftop's ring size) -- threads S, then perf report
# The profiler's CPU is its total (bench/cputime, wait4's rusage) minus
# the target's own (the same timer inside). Within a round a least-squares
# line of profiler CPU against samples over the run lengths gives the
# marginal CPU per sample (its slope, us) and the fixed cost (its
# intercept, s); a run of threads 0.001 (no work: start, symbol tables,
# stop) measures the fixed cost directly. Cells: median [min .. max] over
# the rounds, ratios taken within a round. Prints; asserts nothing.
#
# Usage: bench/fit-bench.sh [BUILDDIR]      (bench/bench.sh calls it)
# Environment: BENCH_FIT_ROUNDS (default 5), BENCH_FIT_FREQ (default
# 10000), BENCH_FIT_SCALES (default "0.25 1 2"; threads 1 is ~2 s of CPU).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
bench_timer "$builddir"
PROFTOP=${PROFTOP:-$builddir/proftop}
THREADS=$builddir/tests/workloads/threads
ROUNDS=${BENCH_FIT_ROUNDS:-5}
FREQ=${BENCH_FIT_FREQ:-10000}
SCALES=${BENCH_FIT_SCALES:-0.25 1 2}
EMPTY=0.001

echo
echo "== CPU per sample and fixed CPU: threads at scales $SCALES (and $EMPTY), -F $FREQ," \
	"$ROUNDS rounds in rotated order"
if [ ! -x "$THREADS" ] || [ ! -x "$PROFTOP" ] || [ -z "$have_time" ]; then
	echo "needs $PROFTOP, $THREADS (make bench builds it) and bench/cputime or /usr/bin/time: skipped"
	exit 0
fi
have_perf=
command -v perf >/dev/null 2>&1 && have_perf=1
W=$(mktemp -d "${TMPDIR:-/tmp}/proftop-fit-bench.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

# cpu OUTER INNER: the profiler's CPU (s), outer total minus the target's
cpu()
{
	awk -v a="$(tail -n 1 "$1" 2>/dev/null)" -v b="$(tail -n 1 "$2" 2>/dev/null)" 'BEGIN {
		na = split(a, A, " "); nb = split(b, B, " ")
		if (na < 3 || nb < 3 || A[2] + A[3] < B[2] + B[3]) { print "n/a"; exit }
		printf "%.4f", A[2] + A[3] - B[2] - B[3] }'
}

# run TOOL SCALE: prints "samples profiler_cpu [report_cpu]" of one run
run()
{
	local tool=$1 s=$2 t=$W/run
	case $tool in
	proftop)
		"${timer[@]}" "$t.outer" "$PROFTOP" report --format json -F "$FREQ" --limit 1 \
			--output "$t.json" -- "${inner[@]}" "$t.inner" "$THREADS" "$s" \
			>/dev/null 2>"$t.err" || { echo "n/a n/a"; return; }
		echo "$(json_num "$t.json" samples) $(cpu "$t.outer" "$t.inner")"
		;;
	perf)
		[ -n "$have_perf" ] || { echo "n/a n/a n/a"; return; }
		"${timer[@]}" "$t.outer" perf record -q -e cpu-clock -F "$FREQ" --call-graph dwarf \
			-m "$(ring_pages "$FREQ")" -o "$t.data" -- "${inner[@]}" "$t.inner" "$THREADS" "$s" \
			>/dev/null 2>"$t.err" || { echo "n/a n/a n/a"; return; }
		"${timer[@]}" "$t.rep" perf report -i "$t.data" --stdio >/dev/null 2>&1
		printf '%s %s %s\n' \
			"$(perf report -i "$t.data" --stats 2>/dev/null | awk '/SAMPLE events:/ && !/LOST/ { print $3; exit }')" \
			"$(cpu "$t.outer" "$t.inner")" "$(awk '{ printf "%.4f", $2 + $3 }' "$t.rep")"
		rm -f "$t.data"
		;;
	esac
}

for r in $(seq 1 "$ROUNDS"); do
	printf 'round %s/%s:' "$r" "$ROUNDS"
	for s in $EMPTY $SCALES; do
		for tool in $(rotated "$r" proftop perf); do
			echo "$s $tool $(run "$tool" "$s")" >>"$W/points.$r"
		done
		printf ' %s' "$s"
	done
	echo
	# the round's fits: slope (us/sample) and intercept (s) per series
	awk -v W="$W" -v empty="$EMPTY" '
	function num(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?$/ }
	function put(name, v) { print v >> (W "/m." name) }
	function add(k, x, y) { if (num(x) && num(y)) { n[k]++; sx[k] += x; sy[k] += y; sxx[k] += x * x; sxy[k] += x * y } }
	function fit(k,   d, b) {
		d = n[k] * sxx[k] - sx[k] * sx[k]
		if (n[k] < 2 || d <= 0) { put("us_" k, "n/a"); put("fixed_" k, "n/a"); return }
		b = (n[k] * sxy[k] - sx[k] * sy[k]) / d
		US[k] = b * 1e6
		put("us_" k, sprintf("%.3f", b * 1e6)); put("fixed_" k, sprintf("%.4f", (sy[k] - b * sx[k]) / n[k]))
	}
	$1 == empty {
		if ($2 == "proftop") put("empty_proftop", $4)
		else { put("empty_perfrec", $4); put("empty_perftot", num($4) && num($5) ? $4 + $5 : "n/a")
		       E = $4 + $5 }
		if ($2 == "proftop") P = $4
		next
	}
	$2 == "proftop" { add("proftop", $3, $4) }
	$2 == "perf" { add("perfrec", $3, $4); if (num($4) && num($5)) add("perftot", $3, $4 + $5) }
	END {
		fit("proftop"); fit("perfrec"); fit("perftot")
		put("r_us_rec", US["perfrec"] > 0 ? US["proftop"] / US["perfrec"] : "n/a")
		put("r_us_tot", US["perftot"] > 0 ? US["proftop"] / US["perftot"] : "n/a")
		put("r_empty_tot", num(P) && E > 0 ? P / E : "n/a")
	}' "$W/points.$r"
done
[ -s "$W/run.err" ] && grep -q . "$W/run.err" && echo "last run said: $(head -n 1 "$W/run.err")"

m() { spread "$2" "$3" <"$W/m.$1" 2>/dev/null || echo n/a; }
printf '%-40s %-26s %-26s %s\n' "" "proftop report" "perf record" "perf record + report"
printf '%-40s %-26s %-26s %s\n' "marginal CPU per sample (us), fit" "$(m us_proftop %.2f)" \
	"$(m us_perfrec %.2f)" "$(m us_perftot %.2f)"
printf '%-40s %-26s %-26s %s\n' "fixed CPU (s), fit intercept" "$(m fixed_proftop %.3f)" \
	"$(m fixed_perfrec %.3f)" "$(m fixed_perftot %.3f)"
printf '%-40s %-26s %-26s %s\n' "fixed CPU (s), measured: threads $EMPTY" "$(m empty_proftop %.3f)" \
	"$(m empty_perfrec %.3f)" "$(m empty_perftot %.3f)"
echo "ratios proftop/perf, per round:"
printf '%-40s %-26s %s\n' "  marginal CPU per sample" "vs record $(m r_us_rec %.2f x)" \
	"vs record + report $(m r_us_tot %.2f x)"
printf '%-40s %s\n' "  fixed CPU (threads $EMPTY)" "vs record + report $(m r_empty_tot %.2f x)"
summary "marginal CPU/sample, threads at $FREQ Hz (fit)" "$(m r_us_tot %.2f x)" \
	"$(m us_proftop %.1f ' us')" "rec+rep $(m us_perftot %.1f ' us')"
summary "fixed CPU, threads $EMPTY at $FREQ Hz" "$(m r_empty_tot %.2f x)" \
	"$(m empty_proftop %.3f ' s')" "rec+rep $(m empty_perftot %.3f ' s')"
