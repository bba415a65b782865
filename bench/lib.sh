# Helpers shared by the bench scripts (sourced, bash). Nothing here
# asserts: the bench prints figures, it never passes or fails on them.
#
# A figure is taken once per round; rounds run the configurations in a
# rotated order (A B C, B C A, C A B, ...) so that a change in the load of
# the machine falls on each configuration alike, and a ratio is computed
# within a round, then summarised across rounds as median [min .. max].

# bench_workdir NAME: a fresh work directory in $W, removed at exit
# (kept with BENCH_KEEP=1).
bench_workdir()
{
	W=$(mktemp -d "${TMPDIR:-/tmp}/proftop-$1.XXXXXX") || exit 1
	trap 'bench_cleanup' EXIT
}

bench_cleanup()
{
	if [ -n "$BENCH_KEEP" ]; then echo "kept $W"; else rm -rf "$W"; fi
}

# The timer: bench/cputime (to the microsecond) once bench_timer found
# it, else /usr/bin/time (to 10 ms), else bash's `times`.
have_time=
timer=()
if [ -x /usr/bin/time ] && [ -z "$BENCH_NO_TIME" ]; then # BENCH_NO_TIME=1: test the fallback
	have_time=1
	timer=(/usr/bin/time -f '%e %U %S %M' -o)
fi

# bench_timer BUILDDIR: use BUILDDIR/bench/cputime if it is built.
bench_timer()
{
	if [ -x "$1/bench/cputime" ] && [ -z "$BENCH_NO_TIME" ]; then
		have_time=1
		timer=("$1/bench/cputime")
		inner=("${timer[@]}")
	fi
}

# timed OUT CMD...: run CMD and write "wall user sys maxrss_kib" to OUT
# (user and sys include CMD's waited-for descendants). Without a timer
# program: bash's `times` in a fresh subshell (no max RSS: "-").
timed()
{
	local out=$1 start end rc
	shift
	if [ -n "$have_time" ]; then
		"${timer[@]}" "$out" "$@"
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

# The inner timer, for the target under a profiler: "${inner[@]}" OUT CMD...
# (a shell function does not cross exec: bash -c sources this file).
if [ -n "$have_time" ]; then
	inner=("${timer[@]}")
else
	inner=(bash -c 'source "$0" && timed "$@"' "${BASH_SOURCE[0]}")
fi

# find_desc PID NAME: the first descendant of PID (breadth first) whose
# command name is NAME; waits up to two seconds for it to appear.
find_desc()
{
	local _ p q level
	for _ in $(seq 1 200); do
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

# watched OUT CMD...: timed, and OUT.mem gets "vmhwm_kib rssanon_peak_kib"
# of CMD's own process (not its children), polled from /proc/PID/status
# every 20 ms while it runs. VmHWM counts file pages mapped in (perf maps
# perf.data from the page cache); RssAnon is the process's own memory.
watched()
{
	local out=$1 job pid hwm=0 anon=0 k v rest rc
	shift
	timed "$out" "$@" &
	job=$!
	pid=$(find_desc "$job" "$(basename "$1" | cut -c1-15)")
	while [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; do
		while read -r k v rest; do
			case $k in
			VmHWM:) [ "$v" -gt "$hwm" ] && hwm=$v ;;
			RssAnon:) [ "$v" -gt "$anon" ] && anon=$v ;;
			esac
		done <"/proc/$pid/status" 2>/dev/null
		sleep 0.02
	done
	wait "$job"
	rc=$?
	echo "$hwm $anon" >"$out.mem"
	return $rc
}

# field FILE N: the Nth field of FILE's last line ("n/a" if none).
field()
{
	local v
	v=$(tail -n 1 "$1" 2>/dev/null | awk -v n="$2" '{ print $n }')
	echo "${v:-n/a}"
}

# json_num FILE KEY: the first numeric value of "KEY": in FILE ("n/a").
json_num()
{
	local v
	v=$(grep -o "\"$2\":[0-9.]*" "$1" 2>/dev/null | head -n 1 | cut -d: -f2)
	echo "${v:-n/a}"
}

# rotated ROUND ITEM...: the items, rotated left by ROUND - 1.
rotated()
{
	local r=$1 n i
	shift
	n=$#
	local items=("$@")
	for ((i = 0; i < n; i++)); do
		printf '%s ' "${items[$(((i + r - 1) % n))]}"
	done
}

# rounds MODE...: $RUNS rounds of the caller's `run MODE ROUND`, the
# modes in a rotated order each round (so that a change in the machine's
# load hits them alike), each row into $W/MODE.ROUND.row. A mode other
# than the first (the target alone) whose first round failed is said.
rounds()
{
	local n mode
	for n in $(seq "$RUNS"); do
		for mode in $(rotated "$n" "$@"); do
			run "$mode" "$n" >"$W/$mode.$n.row"
		done
	done
	for mode in "${@:2}"; do
		[ "$(cut -d' ' -f1 "$W/$mode.1.row")" = n/a ] && [ -s "$W/$mode.1.err" ] &&
			echo "$mode failed: $(head -n 1 "$W/$mode.1.err")"
	done
	return 0
}

# rows MODE...: each round's rows of the modes side by side, a line a round.
rows()
{
	local n
	for n in $(seq "$RUNS"); do
		paste -d' ' $(for mode in "$@"; do echo "$W/$mode.$n.row"; done)
	done
}

# spread FMT [SUFFIX] < VALUES: "median [min .. max]" of the numeric
# lines read (others ignored), each printed with printf FMT then SUFFIX;
# "n/a" if none was numeric. With an even count the median is the mean
# of the middle two.
spread()
{
	local fmt=$1 suf=$2
	grep -E '^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$' | sort -g |
		awk -v f="$fmt" -v s="$suf" '
		{ v[NR] = $1 + 0 }
		END {
			if (NR == 0) { print "n/a"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			if (NR == 1) { print sprintf(f, m) s " (1 round)"; exit }
			print sprintf(f, m) s " [" sprintf(f, v[1]) " .. " sprintf(f, v[NR]) "]"
		}'
}

# summary LABEL RATIO PROFTOP PERF: one row of the final table, kept in
# $BENCH_SUMMARY (bench.sh prints them all at its end) when that is set.
summary()
{
	[ -n "$BENCH_SUMMARY" ] && printf '%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_SUMMARY"
	return 0
}

# ring_pages FREQ [STACK_BYTES]: the pages of one CPU's ring proftop maps
# at this rate (sampler-perf.c's ring_pages: a quarter second of samples,
# 512 to 8192 pages), for giving perf the same (-m) in a comparison.
ring_pages()
{
	awk -v f="$1" -v st="${2:-8192}" -v psz="$(getconf PAGESIZE 2>/dev/null || echo 4096)" 'BEGIN {
		want = f * (256 + st + 24 * 8) / 4; p = 512
		while (p * psz < want && p < 8192) p *= 2
		print p }'
}

# lost_run TOOL RATE OUT CMD...: TOOL (proftop or perf, dwarf unwinding,
# perf with proftop's ring size) profiles CMD at RATE; OUT gets "samples
# lost" ("n/a n/a" if the run failed). perf's count is the per-event
# LOST_SAMPLES of `perf report --stats` (samples, not records).
lost_run()
{
	local tool=$1 f=$2 t=$3
	shift 3
	if [ "$tool" = proftop ]; then
		if "$PROFTOP" report --format json -F "$f" --limit 1 --output "$t.json" -- \
			"$@" >/dev/null 2>"$t.err"; then
			echo "$(json_num "$t.json" samples) $(json_num "$t.json" lost)" >"$t"
		else
			echo "n/a n/a" >"$t"
		fi
		return
	fi
	if perf record -e cpu-clock -F "$f" --call-graph dwarf -m "$(ring_pages "$f")" \
		-o "$t.data" -- "$@" >/dev/null 2>"$t.err"; then
		perf report -i "$t.data" --stats 2>/dev/null | awk '
			/SAMPLE events:/ && !/LOST/ { n = $3 }
			/LOST_SAMPLES events:/ { l = $3 }
			END { print (n == "" ? "n/a" : n), (l == "" ? 0 : l) }' >"$t"
	else
		echo "n/a n/a" >"$t"
	fi
	rm -f "$t.data"
}

# lost_pct < "samples lost" lines: the lost share of each, in %.
lost_pct()
{
	awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { printf "%.2f\n", ($1 + $2) ? 100 * $2 / ($1 + $2) : 0 }'
}
