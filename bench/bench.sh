#!/bin/bash
# proftop against perf, in the same run, on the same workload, measured so
# that the figures mean what they say on a machine whose runs vary:
#
#  1. Overhead (tests/workloads/shares at a few scales). Each round runs,
#     in a rotated order, the configurations
#        alone    the target by itself
#        ptrep    proftop report -F 997 -- target
#        ptrec    proftop record -F 997 -o FILE -- target
#        perf     perf record -e cpu-clock -F 997 --call-graph dwarf
#                 -- target, then perf report on its perf.data
#     The target's own CPU time (user + system) comes from an inner timer
#     (bench/cputime, wait4's rusage to the microsecond, around it under
#     the profiler); the profiler's is the outer total (the same timer
#     around the profiler) minus the target's. A ratio is taken within each round,
#     then shown as median [min .. max] over the rounds.
#     Fixed and per-sample cost apart: within a round, a least-squares
#     line of profiler CPU against samples over the scales; its slope is
#     the marginal CPU per sample (us), its intercept the fixed cost (s).
#     A run of shares 0.001 (a few ms, a sample or two) is one of the
#     scales: the fixed cost (start, symbol tables, stop) measured directly.
#     Memory: peak RssAnon (the process's own memory) polled from
#     /proc/PID/status, next to VmHWM (which also counts the file pages
#     perf maps from perf.data).
#  2. Lost samples per rate (997 Hz .. 20 kHz) on a two-thread target
#     (tests/workloads/threads): proftop's "lost" from its JSON report,
#     perf's from `perf report --stats` (its LOST_SAMPLES count); perf
#     with proftop's ring size (-m).
#  3. bench/fit-bench.sh (CPU per sample and fixed CPU on the two-thread
#     target at 10 kHz), bench/lost-targets.sh (lost samples on
#     python3.11 and on 200 forked children), bench/ptrace-bench.sh,
#     bench/python-bench.sh (Python frames' cost), bench/session-bench.sh,
#     bench/tui-bench.sh, bench/wall-bench.sh (--clock wall on a
#     context-switch storm), bench/alloc-bench.sh (allocation tracking
#     against heaptrack).
#  4. A compact table of everything: proftop/perf ratios, median
#     [min .. max] over N rounds, and the absolute figures.
# Prints figures; asserts nothing.
#
# Usage: bench/bench.sh [BUILDDIR]       (make bench passes it)
# Environment:
#   BENCH_ROUNDS      rounds of the overhead and ptrace parts (default 5)
#   BENCH_SCALES      shares scales for the overhead part (default "1 3";
#                     shares 1 is ~1.7 s of CPU on an idle machine)
#   BENCH_FREQ        rate of the overhead part (default 997)
#   BENCH_LOST_RATES  rates of the lost-samples part (default
#                     "997 5000 10000 20000")
#   BENCH_LOST_SCALE  threads scale for it (default 0.5)
#   BENCH_LOST_ROUNDS rounds of it (default 3)
#   BENCH_ONLY        run only these parts: any of "overhead lost fit
#                     targets ptrace python session tui wall alloc" (default all)
#   BENCH_QUICK=1     a quick pass to check the scripts: 2 rounds, small
#                     scales, fewer samples everywhere (figures are rough)
#   BENCH_KEEP=1      keep the work directory
# Takes ~15 minutes on an idle 2-CPU machine; BENCH_QUICK=1 ~3 minutes.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
bench_timer "$builddir"
PROFTOP=${PROFTOP:-$builddir/proftop}
SHARES=$builddir/tests/workloads/shares
THREADS=$builddir/tests/workloads/threads

if [ -n "$BENCH_QUICK" ]; then
	: "${BENCH_ROUNDS:=2}" "${BENCH_SCALES:=0.25 1}" "${BENCH_LOST_SCALE:=0.2}"
	: "${BENCH_LOST_ROUNDS:=1}" "${BENCH_PTRACE_SCALE:=0.5}" "${BENCH_SESSION_SAMPLES:=200000}"
	: "${BENCH_SESSION_ROUNDS:=3}" "${BENCH_TUI_ROUNDS:=10}" "${BENCH_TUI_KEYS:=6}"
	: "${BENCH_SHARES_SCALE:=0.5}" "${BENCH_PYTHON_SCALE:=0.5}" "${BENCH_FIT_ROUNDS:=2}"
	: "${BENCH_FIT_SCALES:=0.2 0.6}" "${BENCH_PY_SCALE:=4}" "${BENCH_FORK_RATES:=997}"
fi
ROUNDS=${BENCH_ROUNDS:-5}
EMPTY=0.001 # the scale of the empty run
SCALES="$EMPTY ${BENCH_SCALES:-1 3}"
FREQ=${BENCH_FREQ:-997}
LOST_RATES=${BENCH_LOST_RATES:-997 5000 10000 20000}
LOST_SCALE=${BENCH_LOST_SCALE:-0.5}
LOST_ROUNDS=${BENCH_LOST_ROUNDS:-3}
ONLY=${BENCH_ONLY:-overhead lost fit targets ptrace python session tui wall alloc}
export BENCH_ROUNDS=$ROUNDS BENCH_PTRACE_SCALE BENCH_SESSION_SAMPLES BENCH_SESSION_ROUNDS
export BENCH_TUI_ROUNDS BENCH_TUI_KEYS BENCH_SHARES_SCALE BENCH_FREQ BENCH_KEEP
export BENCH_LOST_ROUNDS=$LOST_ROUNDS BENCH_FIT_ROUNDS BENCH_FIT_SCALES BENCH_PY_SCALE BENCH_FORK_RATES

bench_workdir bench
export BENCH_SUMMARY=$W/summary
: >"$BENCH_SUMMARY"

have_perf=
command -v perf >/dev/null 2>&1 &&
	perf record -q -e cpu-clock -o "$W/probe.data" -- true >/dev/null 2>&1 && have_perf=1
have_proftop=
[ -x "$PROFTOP" ] && have_proftop=1
part() { [[ " $ONLY " == *" $1 "* ]]; }

# ---- 1. overhead ----

# run_one CFG SCALE ROUND: one run; writes $W/CFG.SCALE.ROUND, one line:
#   target_cpu profiler_cpu samples vmhwm_kib rssanon_kib wall
# and for perf also: report_cpu report_vmhwm_kib report_rssanon_kib
# ("n/a" where unknown).
run_one()
{
	local cfg=$1 s=$2 r=$3 t=$W/$1.$2.$3 rc tcpu pcpu n
	case $cfg in
	alone)
		timed "$t.time" "$SHARES" "$s" >/dev/null 2>&1
		echo "$(calc 'printf "%.3f", u + s' u="$(field "$t.time" 2)" s="$(field "$t.time" 3)") - - - - $(field "$t.time" 1)" >"$t"
		return
		;;
	ptrep)
		[ -n "$have_proftop" ] || { echo n/a >"$t"; return; }
		watched "$t.outer" "$PROFTOP" report --format json -F "$FREQ" --output "$t.json" -- \
			"${inner[@]}" "$t.inner" "$SHARES" "$s" >/dev/null 2>"$t.err"
		rc=$?
		n=$(json_num "$t.json" samples)
		;;
	ptrec)
		[ -n "$have_proftop" ] || { echo n/a >"$t"; return; }
		watched "$t.outer" "$PROFTOP" record -F "$FREQ" -o "$t.proftop" -- \
			"${inner[@]}" "$t.inner" "$SHARES" "$s" >/dev/null 2>"$t.err"
		rc=$?
		# (counted after the timed run)
		"$PROFTOP" report -i "$t.proftop" --format json --limit 1 --output "$t.json" 2>>"$t.err"
		n=$(json_num "$t.json" samples)
		rm -f "$t.proftop"
		;;
	perf)
		[ -n "$have_perf" ] || { echo n/a >"$t"; return; }
		watched "$t.outer" perf record -q -e cpu-clock -F "$FREQ" --call-graph dwarf \
			-o "$t.data" -- "${inner[@]}" "$t.inner" "$SHARES" "$s" >/dev/null 2>"$t.err"
		rc=$?
		n=$(perf report -i "$t.data" --stats 2>/dev/null | awk '/SAMPLE events:/ { print $3; exit }')
		# The report proftop's one stands for: self and children, call graphs.
		watched "$t.rep" perf report -i "$t.data" --stdio >/dev/null 2>&1
		rm -f "$t.data"
		;;
	esac
	if [ "$rc" -ne 0 ]; then
		echo "$cfg (shares $s, round $r) failed (exit status $rc): $(head -n 1 "$t.err")" >&2
		echo n/a >"$t"
		return
	fi
	tcpu=$(calc 'printf "%.3f", u + s' u="$(field "$t.inner" 2)" s="$(field "$t.inner" 3)")
	# (negative if the profiler did not reap its child: then unknown)
	pcpu=$(calc 'if (u + s >= t) printf "%.3f", u + s - t; else print "n/a"' \
		u="$(field "$t.outer" 2)" s="$(field "$t.outer" 3)" t="$tcpu")
	printf '%s %s %s %s %s' "$tcpu" "$pcpu" "${n:-n/a}" "$(cat "$t.outer.mem")" "$(field "$t.outer" 1)" >"$t"
	if [ "$cfg" = perf ]; then
		printf ' %s %s' "$(calc 'printf "%.3f", u + s' u="$(field "$t.rep" 2)" s="$(field "$t.rep" 3)")" \
			"$(cat "$t.rep.mem")" >>"$t"
	fi
	echo >>"$t"
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

# derive ROUND: the figures of one round, appended to $W/m.NAME (one
# line per round). At the largest scale: slowdowns, CPU, memory; over
# all scales: the least-squares line of profiler CPU against samples.
derive()
{
	local r=$1 s f
	for s in $SCALES; do
		for f in alone ptrep ptrec perf; do
			printf '%s %s ' "$s" "$f"
			cat "$W/$f.$s.$r"
		done
	done | awk -v W="$W" -v smax="$smax" -v empty="$EMPTY" '
	function put(name, v) { print v >> (W "/m." name) }
	function num(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?$/ }
	function div(a, b, k) { return (num(a) && num(b) && b > 0) ? k * a / b : "n/a" }
	# least squares over the points of tool t: slope in us per sample
	function fit(t, name,   i, n, sx, sy, sxx, sxy, d, b) {
		n = 0; sx = sy = sxx = sxy = 0
		for (i = 1; i <= np[t]; i++) {
			n++; sx += X[t, i]; sy += Y[t, i]
			sxx += X[t, i] * X[t, i]; sxy += X[t, i] * Y[t, i]
		}
		d = n * sxx - sx * sx
		if (n < 2 || d <= 0) { put("us_" name, "n/a"); put("fixed_" name, "n/a"); return }
		b = (n * sxy - sx * sy) / d
		put("us_" name, sprintf("%.3f", b * 1e6))
		put("fixed_" name, sprintf("%.3f", (sy - b * sx) / n))
		US[name] = b * 1e6
	}
	function point(t, x, y) {
		if (num(x) && num(y) && x >= 0) { np[t]++; X[t, np[t]] = x; Y[t, np[t]] = y }
	}
	{	s = $1; c = $2
		tcpu[s, c] = $3; pcpu[s, c] = $4; n[s, c] = $5; hwm[s, c] = $6; anon[s, c] = $7
		if (c == "perf") { rcpu[s] = $9; rhwm[s] = $10; ranon[s] = $11 }
	}
	END {
		put("empty_ptrep", pcpu[empty, "ptrep"]); put("empty_ptrec", pcpu[empty, "ptrec"])
		put("empty_perf", pcpu[empty, "perf"])
		etot = (num(pcpu[empty, "perf"]) && num(rcpu[empty])) ? pcpu[empty, "perf"] + rcpu[empty] : "n/a"
		put("empty_perftot", etot)
		put("r_empty_rep", div(pcpu[empty, "ptrep"], etot, 1))
		put("r_empty_rec", div(pcpu[empty, "ptrec"], pcpu[empty, "perf"], 1))
		s = smax
		a = tcpu[s, "alone"]
		put("tcpu_alone", a)
		split("ptrep ptrec perf", C, " ")
		for (i = 1; i <= 3; i++) {
			c = C[i]
			put("tcpu_" c, tcpu[s, c])
			put("slow_" c, (num(tcpu[s, c]) && num(a) && a > 0) ? sprintf("%.2f", 100 * (tcpu[s, c] - a) / a) : "n/a")
			put("pcpu_" c, pcpu[s, c]); put("n_" c, n[s, c])
			put("hwm_" c, div(hwm[s, c], 1024, 1)); put("anon_" c, div(anon[s, c], 1024, 1))
		}
		put("pcpu_perfrep", rcpu[s])
		tot = (num(pcpu[s, "perf"]) && num(rcpu[s])) ? pcpu[s, "perf"] + rcpu[s] : "n/a"
		put("pcpu_perftot", tot)
		put("hwm_perfrep", div(rhwm[s], 1024, 1)); put("anon_perfrep", div(ranon[s], 1024, 1))
		put("r_tcpu_rep", div(tcpu[s, "ptrep"], tcpu[s, "perf"], 1))
		put("r_tcpu_rec", div(tcpu[s, "ptrec"], tcpu[s, "perf"], 1))
		put("r_pcpu_rep", div(pcpu[s, "ptrep"], tot, 1))
		put("r_pcpu_rec", div(pcpu[s, "ptrec"], pcpu[s, "perf"], 1))
		put("r_anon_rep", div(anon[s, "ptrep"], ranon[s], 1))
		put("r_anon_rec", div(anon[s, "ptrec"], anon[s, "perf"], 1))
		put("r_hwm_rep", div(hwm[s, "ptrep"], rhwm[s], 1))
		put("r_hwm_rec", div(hwm[s, "ptrec"], hwm[s, "perf"], 1))
		put("sps_ptrep", div(n[s, "ptrep"], pcpu[s, "ptrep"], 1))
		put("sps_perftot", div(n[s, "perf"], tot, 1))
		put("r_sps_rep", div(div(n[s, "ptrep"], pcpu[s, "ptrep"], 1), div(n[s, "perf"], tot, 1), 1))
		for (k in tcpu) {
			split(k, kk, SUBSEP); s = kk[1]; c = kk[2]
			if (c == "ptrep") point("ptrep", n[s, c], pcpu[s, c])
			if (c == "ptrec") point("ptrec", n[s, c], pcpu[s, c])
			if (c == "perf") {
				point("perfrec", n[s, c], pcpu[s, c])
				if (num(pcpu[s, c]) && num(rcpu[s])) point("perftot", n[s, c], pcpu[s, c] + rcpu[s])
			}
		}
		fit("ptrep", "ptrep"); fit("ptrec", "ptrec"); fit("perfrec", "perfrec"); fit("perftot", "perftot")
		put("r_us_rep", ("ptrep" in US && "perftot" in US && US["perftot"] > 0) ? US["ptrep"] / US["perftot"] : "n/a")
		put("r_us_rec", ("ptrec" in US && "perfrec" in US && US["perfrec"] > 0) ? US["ptrec"] / US["perfrec"] : "n/a")
	}'
}

# m NAME FMT [SUFFIX]: the spread of one figure over the rounds.
m()
{
	spread "$2" "$3" <"$W/m.$1" 2>/dev/null || echo n/a
}

row()
{
	printf '%-38s %-26s %-26s %s\n' "$@"
}

overhead()
{
	local r s cfg order
	echo
	echo "== overhead: shares at scales $SCALES, -F $FREQ, $ROUNDS rounds in rotated order"
	if [ ! -x "$SHARES" ]; then
		echo "$SHARES not built (make bench builds it): skipped"
		return
	fi
	smax=$(printf '%s\n' $SCALES | sort -g | tail -n 1)
	for r in $(seq 1 "$ROUNDS"); do
		order=$(rotated "$r" alone ptrep ptrec perf)
		printf 'round %s/%s:' "$r" "$ROUNDS"
		for s in $SCALES; do
			for cfg in $order; do
				run_one "$cfg" "$s" "$r"
			done
			printf ' shares %s [%s]' "$s" "$order"
			order=$(rotated 2 $order)
		done
		echo
		derive "$r"
	done
	echo "(at shares $smax unless said; each cell: median [min .. max] over $ROUNDS rounds)"
	row "" "proftop report" "proftop record" "perf record (+ report)"
	row "target CPU alone (s)" "$(m tcpu_alone %.2f)"
	row "target CPU under the profiler (s)" "$(m tcpu_ptrep %.2f)" "$(m tcpu_ptrec %.2f)" "$(m tcpu_perf %.2f)"
	row "target slowdown (%)" "$(m slow_ptrep %+.1f)" "$(m slow_ptrec %+.1f)" "$(m slow_perf %+.1f)"
	row "samples" "$(m n_ptrep %.0f)" "$(m n_ptrec %.0f)" "$(m n_perf %.0f)"
	row "profiler CPU recording (s)" "$(m pcpu_ptrep %.3f)" "$(m pcpu_ptrec %.3f)" "$(m pcpu_perf %.3f)"
	row "perf report CPU (s)" "" "" "$(m pcpu_perfrep %.3f)"
	row "profiler CPU, record + report (s)" "$(m pcpu_ptrep %.3f)" "" "$(m pcpu_perftot %.3f)"
	row "marginal CPU per sample (us), fit" "$(m us_ptrep %.1f)" "$(m us_ptrec %.1f)" \
		"rec $(m us_perfrec %.1f)"
	row "" "" "" "rec+rep $(m us_perftot %.1f)"
	row "fixed CPU (s), fit intercept" "$(m fixed_ptrep %.3f)" "$(m fixed_ptrec %.3f)" \
		"rec $(m fixed_perfrec %.3f)"
	row "" "" "" "rec+rep $(m fixed_perftot %.3f)"
	row "fixed CPU (s), measured: shares $EMPTY" "$(m empty_ptrep %.3f)" "$(m empty_ptrec %.3f)" \
		"rec $(m empty_perf %.3f)"
	row "" "" "" "rec+rep $(m empty_perftot %.3f)"
	row "peak RssAnon (MiB)" "$(m anon_ptrep %.1f)" "$(m anon_ptrec %.1f)" "rec $(m anon_perf %.1f)"
	row "" "" "" "rep $(m anon_perfrep %.1f)"
	row "VmHWM (MiB, incl. mapped files)" "$(m hwm_ptrep %.1f)" "$(m hwm_ptrec %.1f)" "rec $(m hwm_perf %.1f)"
	row "" "" "" "rep $(m hwm_perfrep %.1f)"
	echo "ratios proftop/perf, per round (report vs perf record + perf report; record vs perf record):"
	row "  target CPU under the profiler" "$(m r_tcpu_rep %.3f x)" "$(m r_tcpu_rec %.3f x)"
	row "  profiler CPU" "$(m r_pcpu_rep %.2f x)" "$(m r_pcpu_rec %.2f x)"
	row "  marginal CPU per sample" "$(m r_us_rep %.2f x)" "$(m r_us_rec %.2f x)"
	row "  fixed CPU (shares $EMPTY)" "$(m r_empty_rep %.2f x)" "$(m r_empty_rec %.2f x)"
	row "  peak RssAnon" "$(m r_anon_rep %.2f x)" "$(m r_anon_rec %.2f x)"
	row "  VmHWM" "$(m r_hwm_rep %.2f x)" "$(m r_hwm_rec %.2f x)"

	summary "target CPU under the profiler (shares $smax)" "$(m r_tcpu_rep %.3f x)" \
		"slowdown $(m slow_ptrep %+.1f %)" "slowdown $(m slow_perf %+.1f %)"
	summary "target CPU under proftop record vs perf record" "$(m r_tcpu_rec %.3f x)" \
		"slowdown $(m slow_ptrec %+.1f %)" "slowdown $(m slow_perf %+.1f %)"
	summary "profiler CPU: report vs record+report" "$(m r_pcpu_rep %.2f x)" \
		"$(m pcpu_ptrep %.3f ' s')" "$(m pcpu_perftot %.3f ' s')"
	summary "profiler CPU: record vs record" "$(m r_pcpu_rec %.2f x)" \
		"$(m pcpu_ptrec %.3f ' s')" "$(m pcpu_perf %.3f ' s')"
	summary "marginal CPU/sample: report vs rec+rep" "$(m r_us_rep %.2f x)" \
		"$(m us_ptrep %.1f ' us')" "$(m us_perftot %.1f ' us')"
	summary "marginal CPU/sample: record vs record" "$(m r_us_rec %.2f x)" \
		"$(m us_ptrec %.1f ' us')" "$(m us_perfrec %.1f ' us')"
	summary "fixed CPU (shares $EMPTY): report vs rec+rep" "$(m r_empty_rep %.2f x)" \
		"$(m empty_ptrep %.3f ' s')" "$(m empty_perftot %.3f ' s')"
	summary "fixed CPU (shares $EMPTY): record vs record" "$(m r_empty_rec %.2f x)" \
		"$(m empty_ptrec %.3f ' s')" "$(m empty_perf %.3f ' s')"
	summary "fixed CPU, fit intercept: report vs rec+rep" "-" \
		"$(m fixed_ptrep %.3f ' s')" "$(m fixed_perftot %.3f ' s')"
	summary "peak RssAnon: report vs perf report" "$(m r_anon_rep %.2f x)" \
		"$(m anon_ptrep %.1f ' MiB')" "$(m anon_perfrep %.1f ' MiB')"
	summary "peak RssAnon: record vs perf record" "$(m r_anon_rec %.2f x)" \
		"$(m anon_ptrec %.1f ' MiB')" "$(m anon_perf %.1f ' MiB')"
	summary "VmHWM: report vs perf report" "$(m r_hwm_rep %.2f x)" \
		"$(m hwm_ptrep %.1f ' MiB')" "$(m hwm_perfrep %.1f ' MiB')"
}

# ---- 2. lost samples per rate ----

# lost_one TOOL RATE ROUND: "samples lost" of one run into $W/lost.TOOL.RATE.ROUND
lost_one()
{
	lost_run "$1" "$2" "$W/lost.$1.$2.$3" "$THREADS" "$LOST_SCALE"
}

lost()
{
	local r f tool
	echo
	echo "== lost samples per rate: threads $LOST_SCALE (two busy threads), $LOST_ROUNDS rounds"
	if [ ! -x "$THREADS" ]; then
		echo "$THREADS not built (make bench builds it): skipped"
		return
	fi
	echo "(perf: --call-graph dwarf, -m as proftop's ring; kernel.perf_event_max_sample_rate is" \
		"$(cat /proc/sys/kernel/perf_event_max_sample_rate 2>/dev/null || echo unknown))"
	for r in $(seq 1 "$LOST_ROUNDS"); do
		for f in $LOST_RATES; do
			for tool in $(rotated "$r" proftop perf); do
				if [ "$tool" = proftop ] && [ -z "$have_proftop" ]; then continue; fi
				if [ "$tool" = perf ] && [ -z "$have_perf" ]; then continue; fi
				lost_one "$tool" "$f" "$r"
			done
		done
	done
	printf '%-8s %-28s %-28s %-20s %s\n' rate "proftop lost %" "perf lost %" "proftop samples" "perf samples"
	for f in $LOST_RATES; do
		for tool in proftop perf; do
			for r in $(seq 1 "$LOST_ROUNDS"); do
				awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {
					printf "%.2f\n", ($1 + $2) ? 100 * $2 / ($1 + $2) : 0 }' \
					"$W/lost.$tool.$f.$r" 2>/dev/null >>"$W/lostpct.$tool.$f"
				awk '{ print $1 }' "$W/lost.$tool.$f.$r" 2>/dev/null >>"$W/lostn.$tool.$f"
			done
		done
		printf '%-8s %-28s %-28s %-20s %s\n' "$f" \
			"$(spread %.2f <"$W/lostpct.proftop.$f")" "$(spread %.2f <"$W/lostpct.perf.$f")" \
			"$(spread %.0f <"$W/lostn.proftop.$f")" "$(spread %.0f <"$W/lostn.perf.$f")"
		summary "lost samples at $f Hz (threads)" "-" \
			"$(spread %.2f % <"$W/lostpct.proftop.$f")" "$(spread %.2f % <"$W/lostpct.perf.$f")"
	done
	[ -s "$W/lost.proftop.20000.1.err" ] && echo "proftop said: $(head -n 1 "$W/lost.proftop.20000.1.err")"
}

echo "proftop bench: $(uname -srm), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "proftop: $PROFTOP$([ -n "$have_proftop" ] || echo ' (missing: n/a)')"
echo "perf: $(perf version 2>/dev/null || echo missing)$([ -n "$have_perf" ] || echo ' (not usable: n/a)')"
case ${timer[0]} in
*/cputime) echo "timer: ${timer[0]} (wait4 rusage, microseconds)" ;;
/usr/bin/time) echo "timer: /usr/bin/time (10 ms steps: make bench builds bench/cputime, finer)" ;;
*) echo "timer: bash 'times' (no /usr/bin/time, no bench/cputime): to 10 ms or worse" ;;
esac
echo "CPU = user + system. 'profiler CPU' excludes the target's own CPU time."
[ -n "$BENCH_QUICK" ] && echo "BENCH_QUICK=1: few rounds, small runs; the figures are rough"

part overhead && overhead
part lost && lost
part fit && bash "$here/fit-bench.sh" "$builddir"
part targets && bash "$here/lost-targets.sh" "$builddir"
part ptrace && bash "$here/ptrace-bench.sh" "$builddir"
part python && bash "$here/python-bench.sh" "$builddir"
part session && bash "$here/session-bench.sh" "$builddir"
part wall && bash "$here/wall-bench.sh" "$builddir"
part alloc && bash "$here/alloc-bench.sh" "$builddir"
part tui && bash "$here/tui-bench.sh" "$builddir"
part tui && [ -x "$builddir/bench/query-cost" ] && echo && echo "== live views: one refresh after new samples (bench/query-cost)" &&
	"$builddir/bench/query-cost" 100000 10000 "${BENCH_TUI_ROUNDS:-15}"

echo
echo "== summary: proftop/perf within each round, then median [min .. max] over the rounds"
echo "(rounds: overhead $ROUNDS, lost $LOST_ROUNDS, fit ${BENCH_FIT_ROUNDS:-5}, ptrace ${BENCH_PTRACE_RUNS:-$ROUNDS}," \
	"session reopens ${BENCH_SESSION_ROUNDS:-5}, TUI ${BENCH_TUI_ROUNDS:-50};" \
	"load average now $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F '\t' 'BEGIN { lr = length("proftop/perf"); la = length("proftop") }
{
	w[NR] = $1; r[NR] = $2; a[NR] = $3; b[NR] = $4
	if (length($1) > lw) lw = length($1)
	if (length($2) > lr) lr = length($2)
	if (length($3) > la) la = length($3)
}
END {
	if (NR == 0) { print "(nothing measured)"; exit }
	printf "%-" lw "s  %-" lr "s  %-" la "s  %s\n", "", "proftop/perf", "proftop", "perf"
	for (i = 1; i <= NR; i++)
		printf "%-" lw "s  %-" lr "s  %-" la "s  %s\n", w[i], r[i], a[i], b[i]
}' "$BENCH_SUMMARY"
