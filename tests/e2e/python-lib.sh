# Shared by tests/e2e/python-*.sh: record tests/workloads/py-shares.py
# under one CPython, then check from the session: the Python functions'
# shares against the budgets the workload spends, their file and line,
# zlib's C code under the Python function that calls it (folded export),
# and the hottest line of plain's loop (report --lines py-shares.py:plain,
# from the session alone: the script is gone by then).
# Usage (after lib.sh's pt_setup): py_check PYTHON [PROFTOP ARG...]

py_check()
{
	local py=$1
	shift
	local script="$PT_WORK/py-shares.py" s="$PT_WORK/py.proftop"
	local out="$PT_WORK/out.csv" sum=0 f v want

	cp "$top_srcdir/tests/workloads/py-shares.py" "$script"
	"$py" -c 'import zlib, threading' 2>/dev/null || pt_skip "$py cannot run (or lacks zlib)"
	PROFTOP_PYTHON_STATS=1 pt_proftop "$PT_WORK/rec.txt" record -o "$s" "$@" -- "$py" "$script" 3
	pt_eq "record exit status" "$PT_RC" 0
	grep 'python:' "$PT_WORK/rec.txt.err"
	grep -q 'unsupported\|no _PyRuntime' "$PT_WORK/rec.txt.err" &&
		pt_fail "proftop said: $(grep 'unsupported\|no _PyRuntime' "$PT_WORK/rec.txt.err")"
	pt_report "$out" -i "$s" --limit 0 || pt_finish
	# Shares of the five known functions, normalized to their sum (the
	# interpreter's start-up belongs to none of them).
	for f in plain recurse generate compress side; do
		v=$(pt_csv "$out" "$f" total_pct)
		if ! pt_num "$v"; then
			pt_fail "$f: expected a row for the Python function $f, saw none"
			continue
		fi
		sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { print a + b }')
		eval "share_$f=$v"
	done
	pt_ge "sum of the five functions' total_pct (the rest is start-up)" "$sum" 60
	for f in plain:30 recurse:20 generate:20 compress:15 side:15; do
		v=$(eval echo "\${share_${f%%:*}:-}")
		[ -n "$v" ] || continue
		pt_near "${f%%:*}: share of the five (normalized total_pct)" \
			"$(awk -v v="$v" -v s="$sum" 'BEGIN { printf "%.1f", 100 * v / s }')" "${f#*:}" 3
	done
	pt_eq "plain: file" "$(pt_csv "$out" plain file)" "$script"
	pt_eq "plain: line (its def)" "$(pt_csv "$out" plain line)" \
		"$(grep -n '^def plain' "$script" | cut -d: -f1)"
	pt_eq "plain: module" "$(pt_csv "$out" plain module)" "[python]"

	# zlib's deflate runs under compress (extension frames under the
	# Python function that called them), never directly under the eval loop.
	pt_proftop "$PT_WORK/py.folded" export -i "$s" -f folded
	v=$(awk '/;deflate/ { n += $NF; if (index($0, ";compress;")) u += $NF }
		END { if (n) printf "%.1f", 100 * u / n; else print "no deflate" }' "$PT_WORK/py.folded")
	pt_ge "% of deflate's samples under compress (folded export)" "$v" 97

	# Most of plain's time is its loop body's (the multiply and add, with
	# the C code that does them), with its text from the session (the
	# script is removed first). The line marked hottest (*) is the one
	# with the most self time, the interpreter's own work on it: the loop
	# body or the loop's own line (their self times are close: at 250 Hz
	# about ten samples each).
	want=$(grep -n 'the hot line of plain' "$script" | cut -d: -f1)
	rm "$script"
	pt_proftop "$PT_WORK/lines.txt" report -i "$s" --lines py-shares.py:plain
	pt_evidence "$PT_WORK/lines.txt" 5 tail
	v=$(awk '{ for (i = 1; i < NF; i++)
			if ($i ~ /^[0-9.]+%$/ && $(i + 1) ~ /^[0-9]+$/) {
				if ($i + 0 > best) { best = $i + 0; line = $(i + 1) }
				break
			} }
		END { print line }' "$PT_WORK/lines.txt")
	pt_eq "line of plain with the most total time (report --lines py-shares.py:plain)" "$v" "$want"
	pt_eq "its source text, from the session" \
		"$(grep -c "^.* $want  *total += i \* i  # the hot line of plain" "$PT_WORK/lines.txt")" 1
	v=$(awk '$1 == "*" { print $5 }' "$PT_WORK/lines.txt" | head -1)
	if [ "$v" = "$want" ] || [ "$v" = $((want - 1)) ]; then
		pt_ok "the line marked hottest (most self time) is the loop's: $v"
	else
		pt_fail "the line marked hottest: expected $((want - 1)) or $want (the loop), saw '$v'"
	fi
}
