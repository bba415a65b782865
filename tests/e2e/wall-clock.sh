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
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/wall-lib.sh"

# pt_true-like: LABEL CMD...: CMD succeeds.
check()
{
	local label=$1
	shift
	if "$@"; then pt_ok "$label"; else pt_fail "$label: expected '$*' to succeed"; fi
}

wall_record "$session" "$waits"
wall_shares "$session"
# The reason on each wait's leaf: the off-CPU leaf with the most time
# under each phase's function.
wall_leaves "$session"

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
	# (record tracks allocations: when the workload made a sampled one,
	# which sampling by bytes may or may not do, the allocation types
	# follow the time ones)
	types=$(sed 's| alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes||' <<<"$types")
	pt_eq "pprof sample and period types (the allocation ones aside)" "$types" \
		"samples/count wall/nanoseconds period wall/nanoseconds"
else
	check "pprof names wall time (no protoc: strings)" sh -c "gzip -dc '$PT_WORK/wall.pb.gz' | grep -aq wall"
fi
pt_finish
