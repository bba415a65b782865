#!/bin/bash
# Session files: their size per sample next to perf.data's for the same
# workload, and the time to save and reopen a one-million-sample session.
# The bars (issue 4): at most 1/20 of perf.data's size with DWARF call
# graphs; reopening a million samples in under 2 s. The reopen is timed
# BENCH_SESSION_ROUNDS times, in wall-clock and CPU seconds, and shown as
# median [min .. max] to the millisecond, next to the bar, unrounded.
# Prints; asserts nothing.
#
# Usage: bench/session-bench.sh [BUILDDIR]       (make bench passes it)
# Environment: BENCH_SHARES_SCALE (default 3), BENCH_FREQ (default 997),
# BENCH_SESSION_SAMPLES (default 1000000), BENCH_SESSION_ROUNDS (default 5),
# BENCH_KEEP=1 keeps the work directory.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
bench_timer "$builddir"
PROFTOP=${PROFTOP:-$builddir/proftop}
SHARES=$builddir/tests/workloads/shares
BENCH=$builddir/bench/session-bench
FREQ=${BENCH_FREQ:-997}
SCALE=${BENCH_SHARES_SCALE:-3}
N=${BENCH_SESSION_SAMPLES:-1000000}
ROUNDS=${BENCH_SESSION_ROUNDS:-5}

bench_workdir session-bench

echo
echo "== session files =="
echo "-- size: shares $SCALE at $FREQ Hz, proftop record vs perf record --call-graph dwarf"
prof_bps=n/a perf_bps=n/a
if [ -x "$PROFTOP" ] && [ -x "$SHARES" ] &&
	"$PROFTOP" record -F "$FREQ" -o "$W/s.proftop" -- "$SHARES" "$SCALE" >/dev/null 2>"$W/rec.err"; then
	size=$(stat -c %s "$W/s.proftop")
	n=$("$PROFTOP" report -i "$W/s.proftop" --format json --limit 1 |
		sed -n 's/.*"samples":\([0-9]*\).*/\1/p' | head -n 1)
	if [ -n "$n" ] && [ "$n" -gt 0 ]; then
		prof_bps=$(awk -v s="$size" -v n="$n" 'BEGIN { printf "%.1f", s / n }')
	fi
	printf "proftop  %10s bytes %8s samples %10s bytes/sample\n" "$size" "$n" "$prof_bps"
else
	echo "proftop record: n/a ($(head -n 1 "$W/rec.err" 2>/dev/null))"
fi
if command -v perf >/dev/null && [ -x "$SHARES" ] &&
	perf record -q -e cpu-clock -F "$FREQ" --call-graph dwarf -o "$W/perf.data" \
		-- "$SHARES" "$SCALE" >/dev/null 2>"$W/perf.err"; then
	size=$(stat -c %s "$W/perf.data")
	n=$(perf report -i "$W/perf.data" --stats 2>/dev/null | awk '/SAMPLE events:/ { print $3; exit }')
	if [ "${n:-0}" -gt 0 ]; then
		perf_bps=$(awk -v s="$size" -v n="$n" 'BEGIN { printf "%.1f", s / n }')
	fi
	printf "perf     %10s bytes %8s samples %10s bytes/sample\n" "$size" "$n" "$perf_bps"
else
	echo "perf record: n/a ($(head -n 1 "$W/perf.err" 2>/dev/null))"
fi
if [ "$prof_bps" != n/a ] && [ "$perf_bps" != n/a ]; then
	awk -v a="$prof_bps" -v b="$perf_bps" 'BEGIN {
		printf "session / perf.data per sample: 1/%.0f (bar: 1/20 or smaller) %s\n",
			b / a, (b / a >= 20) ? "ok" : "OVER THE BAR" }'
	summary "session file bytes per sample (shares $SCALE)" \
		"$(awk -v a="$prof_bps" -v b="$perf_bps" 'BEGIN { printf "1/%.0f", b / a }')" \
		"$prof_bps B" "$perf_bps B (perf.data)"
fi

echo "-- save and reopen a synthetic session of $N samples ($ROUNDS reopens, file in the page cache)"
if [ -x "$BENCH" ]; then
	if "$BENCH" "$N" "$W/big.proftop" "$ROUNDS" >"$W/big.out" 2>"$W/big.err"; then
		awk 'NR == 1 {
			for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)
			printf "%s samples, %s stacks: %.1f MB, %.1f bytes/sample; save %.3f s (CPU %.3f s)\n",
				v["samples"], v["stacks"], v["bytes"] / 1e6, v["bytes_per_sample"], v["save_s"],
				v["save_cpu_s"] }' "$W/big.out"
		awk '$1 == "load_s" { print $2 }' "$W/big.out" >"$W/load"
		awk '$1 == "load_s" { print $4 }' "$W/big.out" >"$W/loadcpu"
		max=$(sort -g "$W/load" | tail -n 1)
		echo "reopen, wall: $(spread %.3f ' s' <"$W/load"); CPU: $(spread %.3f ' s' <"$W/loadcpu")"
		awk -v m="$max" 'BEGIN { printf "bar: every reopen under 2 s: %s (slowest %.3f s)\n",
			(m < 2) ? "met" : "NOT MET", m }'
		summary "reopen a $N-sample session (wall)" "-" "$(spread %.3f ' s' <"$W/load")" "(bar 2 s)"
	else
		echo "bench/session-bench failed: $(head -n 1 "$W/big.err")"
	fi
	if [ -x "$PROFTOP" ] && [ -s "$W/big.proftop" ]; then
		for r in $(seq "$ROUNDS"); do
			timed "$W/rep.$r" "$PROFTOP" report -i "$W/big.proftop" --limit 5 >/dev/null 2>&1
			echo "$(field "$W/rep.$r" 1)" >>"$W/rep.wall"
			awk '{ printf "%.2f\n", $2 + $3 }' "$W/rep.$r" >>"$W/rep.cpu"
		done
		echo "proftop report -i on it, end to end: wall $(spread %.2f ' s' <"$W/rep.wall")," \
			"CPU $(spread %.2f ' s' <"$W/rep.cpu")"
	fi
else
	echo "bench/session-bench not built: n/a"
fi
