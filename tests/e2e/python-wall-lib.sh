# Shared by tests/e2e/python-wall-*.sh: record tests/workloads/py-waits.py
# with --clock wall under one CPython: its main thread computes in crunch,
# sleeps in snooze and waits on a pipe in wait_pipe for wall times it
# prints. The functions' shares of the thread's wall time are within 3
# points of the truth (less what was left native); the off-CPU
# leaf under snooze is clock_nanosleep, under wait_pipe read, each under the Python function that
# waited (not under the eval loop); report --lines names the waiting line.
# Usage (after lib.sh's pt_setup): pywall_check PYTHON [PROFTOP ARG...]

pywall_check()
{
	local py=$1
	shift
	local script="$PT_WORK/py-waits.py" s="$PT_WORK/pywall.proftop"
	local out="$PT_WORK/wall.csv" f v main c sl se m want T N

	cp "$top_srcdir/tests/workloads/py-waits.py" "$script"
	"$py" -c 'import hashlib' 2>/dev/null || pt_skip "$py cannot run"
	PT_CSV_HEADER="$PT_CSV_HEADER,offcpu_pct,offcpu"
	PROFTOP_PYTHON_STATS=1 pt_proftop "$PT_WORK/rec.txt" record --clock wall -o "$s" "$@" \
		-- "$py" "$script" 2
	pt_eq "record --clock wall exit status" "$PT_RC" 0
	grep 'python:' "$PT_WORK/rec.txt.err"
	main=$(sed -n 's/^py-waits: main \([0-9]*\).*/\1/p' "$PT_WORK/rec.txt" | tr -d '\r')
	read -r c sl se m < <(sed -n 's/^py-waits: wall crunch \([0-9.]*\) snooze \([0-9.]*\) read \([0-9.]*\) main \([0-9.]*\).*/\1 \2 \3 \4/p' \
		"$PT_WORK/rec.txt" | tr -d '\r')
	if [ -z "$main" ] || [ -z "$m" ]; then
		pt_fail "expected the workload's 'py-waits: main TID' and 'py-waits: wall ...' lines; saw: $(head -c 300 "$PT_WORK/rec.txt")"
		return
	fi
	pt_ok "the workload's truth: crunch $c s, snooze $sl s, wait_pipe $se s of main's $m s"
	pt_report "$out" -i "$s" --tid "$main" --limit 0 || return
	# T: the main thread's wall time as proftop measured it (any row's
	# cumtime over its total_pct); each function's share of T against its
	# measured time's share of T, within 3 points. A wait whose frames were
	# read after it ended keeps native frames only (python: offcpu_stale):
	# its time is under _PyEval_EvalFrameDefault, not a Python function,
	# so a share may fall short by up to that row's share (N: how much
	# was left native; small on an idle machine, large under a loaded
	# reader), never exceed the truth.
	f=$(pt_csv "$out" main cumtime)
	v=$(pt_csv "$out" main total_pct)
	if ! pt_num "$f" || ! pt_num "$v"; then
		pt_fail "expected a row for the Python function main, saw cumtime '$f' total_pct '$v'"
		return
	fi
	T=$(awk -v c="$f" -v p="$v" 'BEGIN { if (p > 0) printf "%.4f", 100 * c / p; else print 0 }')
	N=$(pt_csv "$out" _PyEval_EvalFrameDefault total_pct)
	pt_num "$N" || N=0
	pt_ok "main thread's wall time in the profile: $T s (the workload's loop: $m s)"
	pt_le "% of the main thread's wall time left native (_PyEval_EvalFrameDefault)" "$N" 40
	for f in crunch:$c snooze:$sl wait_pipe:$se; do
		v=$(pt_csv "$out" "${f%%:*}" total_pct)
		if ! pt_num "$v"; then
			pt_fail "${f%%:*}: expected a row for the Python function ${f%%:*} in the wall clock, saw none"
			continue
		fi
		want=$(awk -v a="${f#*:}" -v t="$T" 'BEGIN { printf "%.1f", 100 * a / t }')
		pt_le "${f%%:*}: %total of the main thread's wall time (truth $want + 3)" "$v" \
			"$(awk -v w="$want" 'BEGIN { printf "%.1f", w + 3 }')"
		pt_ge "${f%%:*}: %total of the main thread's wall time (truth $want - 3 - $N left native)" \
			"$v" "$(awk -v w="$want" -v n="$N" 'BEGIN { printf "%.1f", w - 3 - n }')"
	done
	pt_ge "snooze: %off (it only waits)" "$(pt_csv "$out" snooze offcpu_pct)" 90
	pt_ge "wait_pipe: %off (its write and read run a little on CPU)" "$(pt_csv "$out" wait_pipe offcpu_pct)" 90

	# The off-CPU leaf with the most time under each waiting function,
	# the Python function right above the native wait (no eval loop).
	pt_proftop "$PT_WORK/folded.ns" export -i "$s" -f folded --weight ns
	leaf_under()
	{
		awk -v fn="$1" '{ w = $NF; line = $0; sub(/ [0-9]+$/, "", line); n = split(line, f, ";")
			if (f[n] !~ /^\[off-CPU/) next
			for (i = 1; i < n; i++) if (f[i] == fn) { t[f[n]] += w; next } }
			END { for (k in t) if (t[k] > best) { best = t[k]; b = k }; print b }' "$PT_WORK/folded.ns"
	}
	pt_eq "the wait under snooze" "$(leaf_under snooze)" "[off-CPU: clock_nanosleep]"
	pt_eq "the wait under wait_pipe" "$(leaf_under wait_pipe)" "[off-CPU: read]"
	# Sleeps are snooze's and the answerer thread's: under those Python
	# functions, not left native (their frames are read while they sleep).
	v=$(awk '/\[off-CPU: clock_nanosleep\] [0-9]+$/ { t += $NF; if (index($0, ";snooze;") || index($0, ";answerer;")) u += $NF }
		END { if (t) printf "%.1f", 100 * u / t; else print "no sleep" }' "$PT_WORK/folded.ns")
	pt_ge "% of the clock_nanosleep waits under snooze or answerer" "$v" 80
	# Consistency: no wait in a system call under crunch (it makes none
	# that block: a wait of snooze or wait_pipe whose frames were read
	# after it ended, crunch running again, would show there).
	v=$(awk '/;crunch;/ && /\[off-CPU: (read|clock_nanosleep)\] [0-9]+$/ { n += $NF } END { printf "%.1f", n / 1e6 }' \
		"$PT_WORK/folded.ns")
	pt_eq "ms of read or clock_nanosleep waits under crunch (frames of a later stack)" "$v" 0.0
	# The line that waited: the hottest of snooze in the wall clock.
	want=$(grep -n 'the wait of snooze' "$script" | cut -d: -f1)
	pt_proftop "$PT_WORK/lines.txt" report -i "$s" --lines py-waits.py:snooze
	v=$(awk '$1 == "*" { print $5 }' "$PT_WORK/lines.txt" | head -1)
	pt_eq "hottest line of snooze (report --lines py-waits.py:snooze)" "$v" "$want"
}
