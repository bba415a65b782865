#!/bin/bash
# The wall clock (--clock wall): the waits workload's main thread spends a
# known share of its wall time computing, in nanosleep, in read on a pipe and
# on a mutex another thread holds (it prints each phase's wall time). Each
# share comes out within 3 points of the truth, with the right reason on
# the off-CPU leaf; a thread blocked for the whole run is one record; the
# CPU clock of the same session shows the compute alone; the session keeps
# its clock; exports carry the off-CPU frames and pprof says wall/nanoseconds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
waits=$(pt_workload waits)
session=$PT_WORK/waits.proftop
# A wall-clock session's rows end with the waits' share of cumtime.
PT_CSV_HEADER="$PT_CSV_HEADER,offcpu_pct,offcpu"

# pt_true-like: LABEL CMD...: CMD succeeds.
check()
{
	local label=$1
	shift
	if "$@"; then pt_ok "$label"; else pt_fail "$label: expected '$*' to succeed"; fi
}

pt_proftop "$PT_WORK/record.out" record --clock wall -o "$session" -- "$waits" 1
if [ "$PT_RC" -ne 0 ] || [ ! -s "$session" ]; then
	pt_fail "proftop record --clock wall: expected status 0 and a session, saw $PT_RC: $(head -n 2 "$PT_WORK/record.out.err")"
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

# Shares of the main thread's wall time, against the truth.
pt_report "$PT_WORK/wall.csv" -i "$session" --tid "$main" --limit 0 || pt_finish
for phase in "waits_compute $c" "waits_sleep $s" "waits_read $r" "waits_lock $l"; do
	set -- $phase
	want=$(awk -v a="$2" -v b="$m" 'BEGIN { printf "%.1f", 100 * a / b }')
	pt_near "$1: %total of the main thread's wall time" \
		"$(pt_csv "$PT_WORK/wall.csv" "$1" total_pct)" "$want" 3
done
pt_ge "waits_sleep: %off (it only waits)" "$(pt_csv "$PT_WORK/wall.csv" waits_sleep offcpu_pct)" 99
pt_ge "waits_lock: %off" "$(pt_csv "$PT_WORK/wall.csv" waits_lock offcpu_pct)" 99

# The reason on each wait's leaf: the off-CPU leaf with the most time
# under each phase's function.
pt_proftop "$PT_WORK/folded" export -i "$session" -f folded
pt_proftop "$PT_WORK/folded.ns" export -i "$session" -f folded --weight ns
leaf_under()
{
	awk -v fn="$1" '{ w = $NF; line = $0; sub(/ [0-9]+$/, "", line); n = split(line, f, ";")
		if (f[n] !~ /^\[off-CPU/) next
		for (i = 1; i < n; i++) if (f[i] == fn) { t[f[n]] += w; next } }
		END { for (k in t) if (t[k] > best) { best = t[k]; b = k }; print b }' "$PT_WORK/folded.ns"
}
pt_eq "the wait under waits_sleep" "$(leaf_under waits_sleep)" "[off-CPU: clock_nanosleep]"
pt_eq "the wait under waits_read" "$(leaf_under waits_read)" "[off-CPU: read]"
pt_eq "the wait under waits_lock" "$(leaf_under waits_lock)" "[off-CPU: futex]"

# A thread blocked in read for the whole run: one record (two if the
# kernel splits it), holding about all of main's time.
records=$(awk '/;waits_forever;/ && /off-CPU/ { n += $NF } END { print n + 0 }' "$PT_WORK/folded")
pt_le "off-CPU records of the thread blocked all along" "$records" 2
pt_ge "... at least one" "$records" 1
blocked=$(awk '/;waits_forever;/ && /off-CPU/ { n += $NF } END { printf "%.2f", n / 1e9 }' "$PT_WORK/folded.ns")
pt_ge "its wait, in s (main ran $m s)" "$blocked" "$(awk -v m="$m" 'BEGIN { print 0.9 * m }')"

# The CPU clock of the same session: the compute phase alone, no waits.
pt_report "$PT_WORK/cpu.csv" -i "$session" --clock cpu --tid "$main" --limit 0 || pt_finish
pt_ge "--clock cpu: waits_compute %total" "$(pt_csv "$PT_WORK/cpu.csv" waits_compute total_pct)" 90
pt_eq "--clock cpu: off-CPU rows" "$(grep -c 'off-CPU' "$PT_WORK/cpu.csv")" 0
pt_eq "--clock cpu: waits_compute %off" "$(pt_csv "$PT_WORK/cpu.csv" waits_compute offcpu_pct)" 0.00

# The session keeps its clock: the text report says so unasked.
pt_proftop "$PT_WORK/text" report -i "$session"
if grep -q '^clock: wall' "$PT_WORK/text"; then
	pt_ok "the report of the session names its clock: $(grep '^clock:' "$PT_WORK/text")"
else
	pt_fail "expected a 'clock: wall' line in the report's header; saw: $(head -n 5 "$PT_WORK/text" | tr '\n' '|')"
fi
pt_proftop "$PT_WORK/json" report -i "$session" --format json
check "JSON report: \"clock\":\"wall\"" grep -q '"clock":"wall"' "$PT_WORK/json"

# Exports: the off-CPU frames, and pprof's sample type.
pt_proftop "$PT_WORK/speedscope.json" export -i "$session" -f speedscope
check "speedscope carries the off-CPU frames" grep -q 'off-CPU: read' "$PT_WORK/speedscope.json"
pt_proftop "$PT_WORK/callgrind" export -i "$session" -f callgrind
check "callgrind carries the off-CPU frames" grep -q 'off-CPU: futex' "$PT_WORK/callgrind"
check "callgrind says its costs are wall time" grep -q '^desc: .* s of wall time' "$PT_WORK/callgrind"
pt_proftop "$PT_WORK/out.pb" export -i "$session" -f pprof -o "$PT_WORK/wall.pb.gz"
if command -v protoc >/dev/null 2>&1; then
	gzip -dc "$PT_WORK/wall.pb.gz" | protoc --decode=perftools.profiles.Profile \
		-I "$top_srcdir/tests/data" "$top_srcdir/tests/data/profile.proto" >"$PT_WORK/pb.txt" 2>&1
	types=$(awk '/^string_table: / { s = $0; sub(/^string_table: "/, "", s); sub(/"$/, "", s); str[n++] = s }
		/^sample_type \{/ { b = 1; next } /^period_type \{/ { b = 2; next } /^}/ { b = 0; next }
		b && $1 == "type:" { t[b] = t[b] " " $2 } b && $1 == "unit:" { u[b] = u[b] " " $2 }
		END { split(t[1], a, " "); split(u[1], c, " "); for (i = 1; a[i] != ""; i++) printf "%s/%s ", str[a[i]], str[c[i]]
			split(t[2], a, " "); split(u[2], c, " "); printf "period %s/%s", str[a[1]], str[c[1]] }' "$PT_WORK/pb.txt")
	pt_eq "pprof sample and period types" "$types" "samples/count wall/nanoseconds period wall/nanoseconds"
else
	check "pprof names wall time (no protoc: strings)" sh -c "gzip -dc '$PT_WORK/wall.pb.gz' | grep -aq wall"
fi
pt_finish
