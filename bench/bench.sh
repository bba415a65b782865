#!/bin/bash
# proftop against perf, measured in the same run, on the same workloads:
#   shares (a ~10 s run of tests/workloads/shares) and proftop-demo.
# For each: the target alone, under `proftop report -F 997`, and under
# `perf record -e cpu-clock -F 997 --call-graph dwarf` (+ `perf report`).
# Prints ratios against perf; asserts nothing. Cells proftop cannot fill
# (not functional yet, or failed) read n/a.
#
# Usage: bench/bench.sh [BUILDDIR]       (make bench passes it)
# Environment: BENCH_SHARES_SCALE (default 6, ~10 s), BENCH_DEMO_ROUNDS
# (default 60, ~5 s), BENCH_FREQ (default 997), BENCH_KEEP=1 keeps the
# work directory.
#
# How: the target runs under an inner timer (/usr/bin/time, or a bash
# `times` wrapper), so its own CPU time is known even under a profiler;
# the profiler runs under an outer timer, and its own CPU time is the
# outer total minus the target's. Peak RSS of the profiler itself is its
# VmHWM, polled from /proc while it runs (the outer timer's maximum RSS
# would include the target's).

builddir=$(cd "${1:-.}" && pwd) || exit 1
PROFTOP=${PROFTOP:-$builddir/proftop}
SHARES=$builddir/tests/workloads/shares
DEMO=$builddir/proftop-demo
FREQ=${BENCH_FREQ:-997}
SHARES_SCALE=${BENCH_SHARES_SCALE:-6}
DEMO_ROUNDS=${BENCH_DEMO_ROUNDS:-60}

W=$(mktemp -d "${TMPDIR:-/tmp}/proftop-bench.XXXXXX") || exit 1
cleanup()
{
	if [ -n "$BENCH_KEEP" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

have_time=
[ -x /usr/bin/time ] && [ -z "$BENCH_NO_TIME" ] && have_time=1 # BENCH_NO_TIME=1: test the fallback
have_perf=
command -v perf >/dev/null 2>&1 &&
	perf record -q -e cpu-clock -o "$W/probe.data" -- true >/dev/null 2>&1 && have_perf=1
have_proftop=
[ -x "$PROFTOP" ] && have_proftop=1

# timed OUT CMD...: run CMD and write "wall user sys maxrss_kib" to OUT
# (user and sys include CMD's waited-for descendants). Without
# /usr/bin/time: bash's `times` in a fresh subshell (no max RSS: "-").
timed()
{
	local out=$1 start end rc
	shift
	if [ -n "$have_time" ]; then
		/usr/bin/time -f '%e %U %S %M' -o "$out" "$@"
		return
	fi
	start=$(date +%s.%N)
	("$@"; rc=$?; times >"$out.times"; exit $rc)
	rc=$?
	end=$(date +%s.%N)
	# times: line 2 is the children's "XmY.YYYs XmY.YYYs" (user, system)
	awk -v s="$start" -v e="$end" 'NR == 2 {
		split($1, u, "m"); split($2, y, "m"); sub(/s/, "", u[2]); sub(/s/, "", y[2])
		printf "%.2f %.2f %.2f -\n", e - s, u[1] * 60 + u[2], y[1] * 60 + y[2] }' \
		"$out.times" >"$out"
	return $rc
}

# find_desc PID NAME: the first descendant of PID (breadth first) whose
# command name is NAME; waits up to a second for it to appear.
find_desc()
{
	local _ p q level
	for _ in $(seq 1 100); do
		level=$1
		while [ -n "$level" ]; do
			for p in $level; do
				[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && { echo "$p"; return; }
			done
			q=
			for p in $level; do q="$q $(pgrep -P "$p" | tr '\n' ' ')"; done
			level=$q
		done
		sleep 0.01
	done
}

# watched OUT CMD...: timed, and OUT.hwm gets the peak RSS (KiB) of CMD's
# own process (not its children), polled from /proc every 50 ms.
watched()
{
	local out=$1 job pid hwm=0 k v rest rc
	shift
	timed "$out" "$@" &
	job=$!
	pid=$(find_desc "$job" "$(basename "$1" | cut -c1-15)")
	while [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; do
		while read -r k v rest; do
			[ "$k" = VmHWM: ] && [ "$v" -gt "$hwm" ] && hwm=$v
		done <"/proc/$pid/status" 2>/dev/null
		sleep 0.05
	done
	wait "$job"
	rc=$?
	echo "$hwm" >"$out.hwm"
	return $rc
}

# field FILE N: the Nth field of FILE's last line ("n/a" if none).
field()
{
	local v
	v=$(tail -n 1 "$1" 2>/dev/null | awk -v n="$2" '{ print $n }')
	echo "${v:-n/a}"
}

# calc EXPR VAR=VALUE...: awk arithmetic, "n/a" if a value is not a number.
calc()
{
	local expr=$1 args=() ok=1 a
	shift
	for a in "$@"; do
		[[ ${a#*=} =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || ok=
		args+=(-v "$a")
	done
	if [ -z "$ok" ]; then
		echo n/a
		return
	fi
	awk "${args[@]}" "BEGIN { $expr }"
}

row()
{
	printf '%-34s %12s %12s %12s %12s\n' "$@"
}

# bench NAME CMD...: the three runs of one workload and its table.
bench()
{
	local name=$1 d=$W/$1 rc
	shift
	mkdir -p "$d"
	echo
	echo "== $name: $*"

	# 1. alone
	timed "$d/base.time" "$@" >/dev/null 2>&1
	local base_cpu base_wall
	base_cpu=$(calc 'printf "%.2f", u + s' u="$(field "$d/base.time" 2)" s="$(field "$d/base.time" 3)")
	base_wall=$(field "$d/base.time" 1)

	# 2. proftop
	local pt_tcpu=n/a pt_cpu=n/a pt_samples=n/a pt_rss=n/a pt_wall=n/a pt_rate=n/a
	if [ -n "$have_proftop" ]; then
		watched "$d/pt.outer" "$PROFTOP" report --format json -F "$FREQ" \
			--output "$d/pt.json" -- \
			"${inner[@]}" "$d/pt.inner" "$@" \
			>/dev/null 2>"$d/pt.err"
		rc=$?
		if [ "$rc" -eq 0 ] && [ -s "$d/pt.json" ]; then
			pt_tcpu=$(calc 'printf "%.2f", u + s' u="$(field "$d/pt.inner" 2)" s="$(field "$d/pt.inner" 3)")
			# (negative if proftop did not reap its child: then unknown)
			pt_cpu=$(calc 'if (u + s >= t) printf "%.2f", u + s - t; else print "n/a"' \
				u="$(field "$d/pt.outer" 2)" s="$(field "$d/pt.outer" 3)" t="$pt_tcpu")
			pt_samples=$(grep -o '"samples":[0-9]*' "$d/pt.json" | head -n 1 | cut -d: -f2)
			pt_samples=${pt_samples:-n/a}
			pt_rss=$(calc 'printf "%.1f", k / 1024' k="$(cat "$d/pt.outer.hwm")")
			pt_wall=$(field "$d/pt.outer" 1)
			pt_rate=$(calc 'if (c > 0) printf "%.0f", n / c; else print "n/a"' n="$pt_samples" c="$pt_cpu")
		else
			echo "proftop failed (exit status $rc): $(head -n 1 "$d/pt.err")"
		fi
	fi

	# 3. perf record + perf report
	local pf_tcpu=n/a pf_cpu=n/a pf_samples=n/a pf_rss=n/a pf_wall=n/a pr_cpu=n/a pr_rss=n/a
	local pr_wall=n/a pf_size=n/a pf_total=n/a pf_rate=n/a
	if [ -n "$have_perf" ]; then
		if watched "$d/pf.outer" perf record -q -e cpu-clock -F "$FREQ" --call-graph dwarf \
			-o "$d/perf.data" -- \
			"${inner[@]}" "$d/pf.inner" "$@" \
			>/dev/null 2>"$d/pf.err"; then
			pf_tcpu=$(calc 'printf "%.2f", u + s' u="$(field "$d/pf.inner" 2)" s="$(field "$d/pf.inner" 3)")
			pf_cpu=$(calc 'if (u + s >= t) printf "%.2f", u + s - t; else print "n/a"' \
				u="$(field "$d/pf.outer" 2)" s="$(field "$d/pf.outer" 3)" t="$pf_tcpu")
			pf_rss=$(calc 'printf "%.1f", k / 1024' k="$(cat "$d/pf.outer.hwm")")
			pf_wall=$(field "$d/pf.outer" 1)
			pf_size=$(calc 'printf "%.1f", b / 1048576' b="$(stat -c %s "$d/perf.data")")
			pf_samples=$(perf report -i "$d/perf.data" --stats 2>/dev/null |
				awk '/SAMPLE events:/ { print $3; exit }')
			pf_samples=${pf_samples:-n/a}
			# The report proftop's one stands for: self and children, call graphs.
			watched "$d/pr.time" perf report -i "$d/perf.data" --stdio >/dev/null 2>&1
			pr_cpu=$(calc 'printf "%.2f", u + s' u="$(field "$d/pr.time" 2)" s="$(field "$d/pr.time" 3)")
			pr_rss=$(calc 'printf "%.1f", k / 1024' k="$(cat "$d/pr.time.hwm")")
			pr_wall=$(field "$d/pr.time" 1)
			pf_total=$(calc 'printf "%.2f", a + b' a="$pf_cpu" b="$pr_cpu")
			pf_rate=$(calc 'if (c > 0) printf "%.0f", n / c; else print "n/a"' n="$pf_samples" c="$pf_total")
		else
			echo "perf record failed: $(head -n 1 "$d/pf.err")"
		fi
	fi

	local slow_pt slow_pf
	slow_pt=$(calc 'printf "%+.1f%%", 100 * (t - b) / b' t="$pt_tcpu" b="$base_cpu")
	slow_pf=$(calc 'printf "%+.1f%%", 100 * (t - b) / b' t="$pf_tcpu" b="$base_cpu")
	ratio()
	{
		calc 'if (b > 0) printf "%.2fx", a / b; else print "n/a"' a="$1" b="$2"
	}
	row "" "alone" "proftop" "perf" "proftop/perf"
	row "target CPU (s)" "$base_cpu" "$pt_tcpu" "$pf_tcpu" ""
	row "target slowdown" "-" "$slow_pt" "$slow_pf" \
		"$(calc 'if (f - b > 0) printf "%.2fx", (p - b) / (f - b); else print "n/a"' \
			p="$pt_tcpu" f="$pf_tcpu" b="$base_cpu")"
	row "wall (s)" "$base_wall" "$pt_wall" "$pf_wall" ""
	row "profiler CPU while recording (s)" "-" "$pt_cpu" "$pf_cpu" "$(ratio "$pt_cpu" "$pf_cpu")"
	row "perf report CPU (s)" "-" "-" "$pr_cpu" ""
	row "perf report wall (s)" "-" "-" "$pr_wall" ""
	row "profiler CPU, record + report (s)" "-" "$pt_cpu" "$pf_total" "$(ratio "$pt_cpu" "$pf_total")"
	row "samples" "-" "$pt_samples" "$pf_samples" ""
	row "samples per profiler CPU second" "-" "$pt_rate" "$pf_rate" "$(ratio "$pt_rate" "$pf_rate")"
	row "profiler peak RSS (MiB)" "-" "$pt_rss" "$pf_rss" "$(ratio "$pt_rss" "$pf_rss")"
	row "perf report peak RSS (MiB)" "-" "-" "$pr_rss" "$(ratio "$pt_rss" "$pr_rss")"
	row "data written (MiB)" "-" "-" "$pf_size" ""
	rm -f "$d/perf.data"
}

# The inner timer, for the target under a profiler: "${inner[@]}" OUT CMD...
# (a shell function does not cross exec: bash -c sources it from a file).
{
	echo "have_time=$have_time"
	declare -f timed
} >"$W/timed.sh"
if [ -n "$have_time" ]; then
	inner=(/usr/bin/time -f '%e %U %S %M' -o)
else
	inner=(bash -c 'source "$0" && timed "$@"' "$W/timed.sh")
fi

echo "proftop bench: $(uname -srm), $(nproc) CPUs, -F $FREQ"
echo "proftop: $PROFTOP$([ -n "$have_proftop" ] || echo ' (missing: n/a)')"
echo "perf: $(perf version 2>/dev/null || echo missing)$([ -n "$have_perf" ] || echo ' (not usable: n/a)')"
[ -n "$have_time" ] || echo "note: without /usr/bin/time: CPU times from bash 'times', peak RSS from VmHWM"
echo "CPU = user + system. 'profiler CPU' excludes the target's own CPU time."

if [ -x "$SHARES" ]; then
	bench shares "$SHARES" "$SHARES_SCALE"
else
	echo "== shares: $SHARES not built (make check or make bench builds it)"
fi
if [ -x "$DEMO" ]; then
	bench proftop-demo "$DEMO" "$DEMO_ROUNDS"
else
	echo "== proftop-demo: $DEMO not built"
fi

# The ptrace backend's cost to the target at its default rate, beside perf's.
bash "$(dirname "${BASH_SOURCE[0]}")/ptrace-bench.sh" "$builddir"
