# What the wall-clock tests share (sourced after tests/lib.sh): a session
# of the waits workload recorded on the wall clock, its truth, the phases'
# shares against it and the reason on each wait's leaf.

# A wall-clock session's rows end with the waits' share of cumtime.
PT_CSV_HEADER="$PT_CSV_HEADER,offcpu_pct,offcpu"

# wall_record SESSION WAITS OPTIONS...: record the waits workload (1 s a
# phase) into SESSION; sets main (its main thread) and c s r l m (the wall
# seconds of compute, sleep, read and lock, and main's whole run). Ends
# the test when the run or the workload's lines fail.
wall_record()
{
	local session=$1 waits=$2
	shift 2
	pt_proftop "$PT_WORK/record.out" record --clock wall "$@" -o "$session" -- "$waits" 1
	if [ "$PT_RC" -ne 0 ] || [ ! -s "$session" ]; then
		pt_fail "proftop record --clock wall $*: expected status 0 and a session, saw $PT_RC: $(head -n 2 "$PT_WORK/record.out.err")"
		pt_finish
	fi
	main=$(sed -n 's/^waits: main \([0-9]*\).*/\1/p' "$PT_WORK/record.out" | tr -d '\r')
	read -r c s r l m < <(sed -n 's/^waits: wall compute \([0-9.]*\) sleep \([0-9.]*\) read \([0-9.]*\) lock \([0-9.]*\) main \([0-9.]*\).*/\1 \2 \3 \4 \5/p' \
		"$PT_WORK/record.out" | tr -d '\r')
	if [ -z "$main" ] || [ -z "$m" ]; then
		pt_fail "expected the workload's 'waits: main TID' and 'waits: wall ...' lines; saw: $(head -c 300 "$PT_WORK/record.out")"
		pt_finish
	fi
	pt_ok "the workload's truth: compute $c s, sleep $s s, read $r s, lock $l s of main's $m s"
}

# wall_shares SESSION: each phase's share of the main thread's wall time
# within 3 points of the truth; the pure waits all off the CPU.
wall_shares()
{
	local phase want
	pt_report "$PT_WORK/wall.csv" -i "$1" --tid "$main" --limit 0 || pt_finish
	for phase in "waits_compute $c" "waits_sleep $s" "waits_read $r" "waits_lock $l"; do
		set -- $phase
		want=$(awk -v a="$2" -v b="$m" 'BEGIN { printf "%.1f", 100 * a / b }')
		pt_near "$1: %total of the main thread's wall time" \
			"$(pt_csv "$PT_WORK/wall.csv" "$1" total_pct)" "$want" 3
	done
	pt_ge "waits_sleep: %off (it only waits)" "$(pt_csv "$PT_WORK/wall.csv" waits_sleep offcpu_pct)" 99
	pt_ge "waits_lock: %off" "$(pt_csv "$PT_WORK/wall.csv" waits_lock offcpu_pct)" 99
}

# wall_leaves SESSION: $PT_WORK/folded (samples) and folded.ns (ns) of
# SESSION, and the reason on the waits' leaves under each phase.
wall_leaves()
{
	pt_proftop "$PT_WORK/folded" export -i "$1" -f folded
	pt_proftop "$PT_WORK/folded.ns" export -i "$1" -f folded --weight ns
	pt_eq "the wait under waits_sleep" "$(wall_leaf_under waits_sleep)" "[off-CPU: clock_nanosleep]"
	pt_eq "the wait under waits_read" "$(wall_leaf_under waits_read)" "[off-CPU: read]"
	pt_eq "the wait under waits_lock" "$(wall_leaf_under waits_lock)" "[off-CPU: futex]"
}

# wall_leaf_under FUNCTION: the off-CPU leaf with the most time under it.
wall_leaf_under()
{
	awk -v fn="$1" '{ w = $NF; line = $0; sub(/ [0-9]+$/, "", line); n = split(line, f, ";")
		if (f[n] !~ /^\[off-CPU/) next
		for (i = 1; i < n; i++) if (f[i] == fn) { t[f[n]] += w; next } }
		END { for (k in t) if (t[k] > best) { best = t[k]; b = k }; print b }' "$PT_WORK/folded.ns"
}
