#!/bin/bash
# Lost samples where they are hardest to avoid, proftop against perf with
# the same ring size (perf -m = proftop's pages per CPU at that rate), both
# unwinding with DWARF, in rotated order round after round:
#   python   Debian's /usr/bin/python3.11 running a CPU-bound script (deep
#            interpreter stacks, a large libpython whose debug info loads
#            while the samples come) at 5 kHz and 10 kHz
#   forker   tests/workloads/forker: 200 short children, 4 at a time
#            (the bar: under 1% lost)
# A share is taken per run; each cell is median [min .. max] over the
# rounds. Prints; asserts nothing.
#
# Usage: bench/lost-targets.sh [BUILDDIR]      (bench/bench.sh calls it)
# Environment: BENCH_LOST_ROUNDS (default 3), BENCH_PY_RATES (default
# "5000 10000"), BENCH_PY_SCALE (default 16: ~1.5 s of CPU),
# BENCH_FORK_RATES (default "997 5000"), BENCH_PYTHON (default
# /usr/bin/python3.11).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
PROFTOP=${PROFTOP:-$builddir/proftop}
FORKER=$builddir/tests/workloads/forker
PYTHON=${BENCH_PYTHON:-/usr/bin/python3.11}
ROUNDS=${BENCH_LOST_ROUNDS:-3}
PY_RATES=${BENCH_PY_RATES:-5000 10000}
PY_SCALE=${BENCH_PY_SCALE:-16}
FORK_RATES=${BENCH_FORK_RATES:-997 5000}

W=$(mktemp -d "${TMPDIR:-/tmp}/proftop-lost-targets.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

cat >"$W/cpu.py" <<'PY'
import sys

def leaf(n):
    s = 0
    for i in range(n):
        s += i * i
    return s

def middle(n):
    return leaf(n) + leaf(n // 2)

def outer(k):
    t = 0
    for _ in range(k):
        t += middle(2000)
    return t

outer(int(float(sys.argv[1]) * 1000))
PY

# target NAME RATES CMD...: the rounds for one target, then its table.
target()
{
	local name=$1 rates=$2 r f tool
	shift 2
	for r in $(seq 1 "$ROUNDS"); do
		for f in $rates; do
			for tool in $(rotated "$r" proftop perf); do
				lost_run "$tool" "$f" "$W/$name.$tool.$f.$r" "$@"
			done
		done
	done
	printf '%-8s %-28s %-28s %-20s %s\n' rate "proftop lost %" "perf lost %" \
		"proftop samples" "perf samples"
	for f in $rates; do
		for tool in proftop perf; do
			cat "$W/$name.$tool.$f".[0-9]* 2>/dev/null | lost_pct >"$W/pct.$name.$tool.$f"
			cat "$W/$name.$tool.$f".[0-9]* 2>/dev/null | awk '{ print $1 }' >"$W/n.$name.$tool.$f"
		done
		printf '%-8s %-28s %-28s %-20s %s\n' "$f" \
			"$(spread %.2f <"$W/pct.$name.proftop.$f")" "$(spread %.2f <"$W/pct.$name.perf.$f")" \
			"$(spread %.0f <"$W/n.$name.proftop.$f")" "$(spread %.0f <"$W/n.$name.perf.$f")"
		summary "lost samples at $f Hz ($name)" "-" \
			"$(spread %.2f % <"$W/pct.$name.proftop.$f")" "$(spread %.2f % <"$W/pct.$name.perf.$f")"
	done
	for tool in proftop perf; do
		f=${rates%% *}
		[ "$(cut -d' ' -f1 "$W/$name.$tool.$f.1")" = n/a ] && [ -s "$W/$name.$tool.$f.1.err" ] &&
			echo "$tool failed: $(head -n 1 "$W/$name.$tool.$f.1.err")"
	done
}

if [ ! -x "$PROFTOP" ]; then
	echo
	echo "== lost samples on python3.11 and a fork-heavy target: $PROFTOP missing, skipped"
	exit 0
fi
command -v perf >/dev/null 2>&1 || echo "(perf missing: its column is n/a)"

echo
echo "== lost samples on $PYTHON (a CPU-bound script, scale $PY_SCALE), $ROUNDS rounds;" \
	"perf -m as proftop's ring"
if [ -x "$PYTHON" ]; then
	target python "$PY_RATES" "$PYTHON" "$W/cpu.py" "$PY_SCALE"
else
	echo "$PYTHON not installed (Debian: apt-get install python3.11): skipped"
fi

echo
echo "== lost samples on a fork-heavy target (forker: 200 children of ~30 ms), $ROUNDS rounds"
if [ -x "$FORKER" ]; then
	target forker "$FORK_RATES" "$FORKER" 200
else
	echo "$FORKER not built (make bench builds it): skipped"
fi
