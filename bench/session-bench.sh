#!/bin/bash
# Session files: their size per sample next to perf.data's for the same
# workload, and the time to save and reopen a one-million-sample session.
# The bars (issue 4): at most 1/20 of perf.data's size with DWARF call
# graphs; reopening a million samples in under 2 s. Prints; asserts nothing.
#
# Usage: bench/session-bench.sh [BUILDDIR]       (make bench passes it)
# Environment: BENCH_SHARES_SCALE (default 3), BENCH_FREQ (default 997),
# BENCH_SESSION_SAMPLES (default 1000000), BENCH_KEEP=1 keeps the work directory.

builddir=$(cd "${1:-.}" && pwd) || exit 1
PROFTOP=${PROFTOP:-$builddir/proftop}
SHARES=$builddir/tests/workloads/shares
BENCH=$builddir/bench/session-bench
FREQ=${BENCH_FREQ:-997}
SCALE=${BENCH_SHARES_SCALE:-3}
N=${BENCH_SESSION_SAMPLES:-1000000}

W=$(mktemp -d "${TMPDIR:-/tmp}/proftop-session-bench.XXXXXX") || exit 1
cleanup()
{
	if [ -n "$BENCH_KEEP" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

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
	n=$(perf script -i "$W/perf.data" -F tid 2>/dev/null | wc -l)
	if [ "$n" -gt 0 ]; then
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
fi

echo "-- save and reopen a synthetic session of $N samples"
if [ -x "$BENCH" ]; then
	"$BENCH" "$N" "$W/big.proftop" | awk '{
		for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)
		printf "%s samples, %s stacks: %.1f MB, %.1f bytes/sample; save %.2f s, reopen %.2f s (bar: 2 s) %s\n",
			v["samples"], v["stacks"], v["bytes"] / 1e6, v["bytes_per_sample"], v["save_s"],
			v["load_s"], (v["load_s"] < 2) ? "ok" : "OVER THE BAR" }'
	if [ -x "$PROFTOP" ]; then
		start=$(date +%s.%N)
		"$PROFTOP" report -i "$W/big.proftop" --limit 5 >/dev/null
		end=$(date +%s.%N)
		awk -v s="$start" -v e="$end" \
			'BEGIN { printf "proftop report -i on it, end to end: %.2f s\n", e - s }'
	fi
else
	echo "bench/session-bench not built: n/a"
fi
