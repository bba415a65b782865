# Shared by tests/e2e/python-wall-*.sh: record tests/workloads/py-waits.py
# with --clock wall under one CPython: its main thread computes in crunch,
# sleeps in snooze and waits on a pipe in wait_pipe for wall times it
# prints. Each function's share of the three (their report total_pct,
# normalized to their sum) is within 3 points of the truth; the off-CPU
# leaf under snooze is clock_nanosleep, under wait_pipe read, each under the Python function that
# waited (not under the eval loop); report --lines names the waiting line.
# Usage (after lib.sh's pt_setup): pywall_check PYTHON [PROFTOP ARG...]

pywall_check()
{
	local py=$1
	shift
	local script="$PT_WORK/py-waits.py" s="$PT_WORK/pywall.proftop"
	local out="$PT_WORK/wall.csv" sum=0 truth=0 f v main c sl se m want

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
	for f in crunch snooze wait_pipe; do
		v=$(pt_csv "$out" "$f" total_pct)
		if ! pt_num "$v"; then
			pt_fail "$f: expected a row for the Python function $f in the wall clock, saw none"
			v=0
		fi
		sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { print a + b }')
		eval "share_$f=$v"
	done
	truth=$(awk -v a="$c" -v b="$sl" -v d="$se" 'BEGIN { print a + b + d }')
	pt_ge "sum of the three functions' total_pct of main's wall time (the rest is start-up)" "$sum" 80
	for f in crunch:$c snooze:$sl wait_pipe:$se; do
		v=$(eval echo "\$share_${f%%:*}")
		want=$(awk -v a="${f#*:}" -v t="$truth" 'BEGIN { printf "%.1f", 100 * a / t }')
		pt_near "${f%%:*}: share of the three (normalized total_pct)" \
			"$(awk -v v="$v" -v s="$sum" 'BEGIN { if (s > 0) printf "%.1f", 100 * v / s; else print 0 }')" \
			"$want" 3
	done
	pt_ge "snooze: %off (it only waits)" "$(pt_csv "$out" snooze offcpu_pct)" 97
	pt_ge "wait_pipe: %off" "$(pt_csv "$out" wait_pipe offcpu_pct)" 97

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
	v=$(awk '{ w = $NF; line = $0; sub(/ [0-9]+$/, "", line); n = split(line, f, ";")
		if (f[n] !~ /^\[off-CPU/) next
		t += w; for (i = n - 1; i > 0; i--) if (f[i] == "snooze" || f[i] == "wait_pipe") { u += w; break } }
		END { if (t) printf "%.1f", 100 * u / t; else print "no off-CPU" }' "$PT_WORK/folded.ns")
	pt_ge "% of main's off-CPU time under snooze or wait_pipe (folded, all threads)" "$v" 80
	v=$(grep -c '_PyEval_EvalFrameDefault;\[off-CPU' "$PT_WORK/folded.ns")
	pt_eq "off-CPU leaves right under the eval loop (mixed mode replaces it)" "$v" 0

	# The line that waited: the hottest of snooze in the wall clock.
	want=$(grep -n 'the wait of snooze' "$script" | cut -d: -f1)
	pt_proftop "$PT_WORK/lines.txt" report -i "$s" --lines py-waits.py:snooze
	v=$(awk '$1 == "*" { print $5 }' "$PT_WORK/lines.txt" | head -1)
	pt_eq "hottest line of snooze (report --lines py-waits.py:snooze)" "$v" "$want"
}
