#!/bin/bash
# The cost of Python frames: proftop report on a CPython program
# (bench/py-work.py, a fixed amount of work) with --python-frames native
# (the stacks as sampled) and mixed (Python frames read at every sample),
# next to the program alone, in a rotated order round after round. Per
# round: the target's CPU and wall slowdown against that round's run
# alone, and proftop's CPU per sample (its CPU less the target's, over the
# samples); then median [min .. max] over the rounds. Also the share of
# samples whose Python stack was read after it changed (inconsistent) or
# could not be read, from PROFTOP_PYTHON_STATS. Prints; asserts nothing.
#
# Usage: bench/python-bench.sh [BUILDDIR]      (bench/bench.sh calls it)
# Environment: BENCH_PYTHON (the interpreter; default pyenv's newest 3.12
# or 3.13, else python3.11, else python3), BENCH_PYTHON_SCALE (default 1),
# BENCH_ROUNDS (default 5).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
bench_timer "$builddir"
PROFTOP=${PROFTOP:-$builddir/proftop}
WORK=$here/py-work.py
SCALE=${BENCH_PYTHON_SCALE:-1}
RUNS=${BENCH_ROUNDS:-5}
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
PY=${BENCH_PYTHON:-$(ls -d "$root"/versions/3.1[23]*/bin/python3.1[23] 2>/dev/null | tail -1)}
[ -x "$PY" ] || PY=$(command -v python3.11 || command -v python3)

echo
echo "== Python frames: $PY bench/py-work.py $SCALE, $RUNS rounds in rotated order"
if [ ! -x "$PROFTOP" ] || [ -z "$PY" ] || [ -z "$have_time" ]; then
	echo "needs $PROFTOP, a python3 and bench/cputime or /usr/bin/time: skipped"
	exit 0
fi
bench_workdir python-bench

# run MODE N: one run; prints "wall cpu proftop_cpu samples inconsistent_pct
# unreadable_pct" (the target's wall and CPU; "-" where not applicable).
run()
{
	local mode=$1 n=$2 t=$W/$1.$2
	if [ "$mode" = alone ]; then
		"${inner[@]}" "$t.time" "$PY" "$WORK" "$SCALE" >/dev/null 2>&1
		awk '{ printf "%.3f %.3f - - - -\n", $1, $2 + $3 }' "$t.time"
		return
	fi
	if ! PROFTOP_PYTHON_STATS=1 timed "$t.outer" "$PROFTOP" report --python-frames "$mode" \
		--format json --output "$t.json" -- "${inner[@]}" "$t.time" "$PY" "$WORK" "$SCALE" \
		>/dev/null 2>"$t.err"; then
		echo "n/a n/a n/a n/a n/a n/a"
		return
	fi
	awk -v samples="$(json_num "$t.json" samples)" -v stats="$(grep 'python:' "$t.err")" '
		NR == FNR { outer = $2 + $3; next }
		{	split(stats, f, " ")
			for (i = 1; i < length(f); i++) v[f[i]] = f[i + 1]
			py = v["samples"] + 0
			printf "%.3f %.3f %.3f %s %s %s\n", $1, $2 + $3, outer - ($2 + $3), samples,
				py ? sprintf("%.2f", 100 * v["inconsistent"] / py) : "-",
				py ? sprintf("%.2f", 100 * v["unreadable"] / py) : "-"
		}' "$t.outer" "$t.time"
}

rounds alone native mixed
rows alone native mixed | awk -v W="$W" '
	function num(x) { return x ~ /^[0-9]+(\.[0-9]+)?$/ }
	function pct(a, b) { return (num(a) && num(b) && b > 0) ? sprintf("%.2f", 100 * (a - b) / b) : "n/a" }
	function per(c, s) { return (num(c) && num(s) && s > 0) ? sprintf("%.1f", 1e6 * c / s) : "n/a" }
	{	for (m = 0; m < 2; m++) {
			name = m ? "mixed" : "native"; o = 6 + 6 * m
			print pct($(o + 1), $1) >> (W "/wslow." name)
			print pct($(o + 2), $2) >> (W "/cslow." name)
			print per($(o + 3), $(o + 4)) >> (W "/us." name)
			print $(o + 4) >> (W "/samples." name)
		}
		print $17 >> (W "/incons.mixed"); print $18 >> (W "/unread.mixed")
		if (num($9) && num($10) && num($15) && num($16) && $10 > 0 && $16 > 0)
			print 1e6 * ($15 / $16 - $9 / $10) >> (W "/extra.mixed")
	}'
s() { spread "$1" "$3" <"$W/$2" 2>/dev/null || echo n/a; }

printf '%-34s %-24s %s\n' "" "native frames" "mixed (Python frames)"
printf '%-34s %-24s %s\n' "target wall slowdown (%)" "$(s %+.1f wslow.native)" "$(s %+.1f wslow.mixed)"
printf '%-34s %-24s %s\n' "target CPU slowdown (%)" "$(s %+.1f cslow.native)" "$(s %+.1f cslow.mixed)"
printf '%-34s %-24s %s\n' "proftop CPU per sample (us)" "$(s %.1f us.native)" "$(s %.1f us.mixed)"
printf '%-34s %-24s %s\n' "mixed - native, per sample (us)" - "$(s %.1f extra.mixed)"
printf '%-34s %-24s %s\n' "samples" "$(s %.0f samples.native)" "$(s %.0f samples.mixed)"
printf '%-34s %-24s %s\n' "inconsistent samples (%)" - "$(s %.2f incons.mixed)"
printf '%-34s %-24s %s\n' "unreadable Python stacks (%)" - "$(s %.2f unread.mixed)"
echo "(proftop CPU per sample includes its fixed cost: start, symbols; the difference is the Python mode's)"
summary "Python frames: proftop CPU per sample, mixed - native" "-" \
	"$(s %.1f extra.mixed " us")" "(inconsistent: $(s %.2f incons.mixed %))"
