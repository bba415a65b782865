#!/bin/bash
# --max-memory holds the memory records too: memtree allocates and frees
# 1.6 million blocks (every one recorded: --alloc-sample 1, 56 bytes each,
# 90 MB of records) while at most ~200,000 are live at once. Within 32 MiB
# the freed records fold (session meta memory_alloc_folds) and the
# profile's peak stays within the budget; the session file keeps every raw
# record (one row per allocation, each with its free time); the live
# report over the folded records gives every function's allocated bytes,
# allocations, live and leaked bytes as the raw session does, and the
# bytes live at the RSS peak within 5% (folded records keep the mean time
# of their records within 10 ms); report -i folds them as it loads them.
# Within the default budget, nothing folds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload memtree)
command -v sqlite3 >/dev/null || pt_skip "sqlite3 is not installed (the test reads the session)"
PT_CSV_HEADER='function,module,allocated_bytes,self_allocated_bytes,allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes'
q() { sqlite3 "$1" "$2"; }
meta() { q "$1" "SELECT value FROM meta WHERE key = '$2'"; }

pt_proftop "$PT_WORK/rec" record --alloc-sample 1 --max-memory 32M -o "$PT_WORK/s.proftop" -- "$w" --time
pt_evidence "$PT_WORK/rec.err" 6 tail
pt_eq "record --alloc-sample 1 --max-memory 32M: exit status" "$PT_RC" 0
[ -s "$PT_WORK/s.proftop" ] || pt_finish
echo "# $(tail -n 1 "$PT_WORK/rec.err")"
pt_ge "folds of the memory records" "$(meta "$PT_WORK/s.proftop" memory_alloc_folds)" 1
pt_le "the profile's peak, every table (bytes)" "$(meta "$PT_WORK/s.proftop" memory_peak)" 33554432
# The truth, as memtree counts it: "allocated FUNCTION BYTES CALLS".
calls=$(cat "$PT_WORK/rec" "$PT_WORK/rec.err" | tr -d '\r' | awk '$1 == "allocated" { n += $4 } END { print n + 0 }')
rows=$(q "$PT_WORK/s.proftop" "SELECT count(*), sum(allocs = 1), sum(free_time IS NOT NULL)
	FROM allocs WHERE kind = 0")
lost=$(meta "$PT_WORK/s.proftop" allocs_lost)
echo "# memtree's allocations: $calls; heap rows, rows of one allocation, freed rows: $rows; records lost: ${lost:-0}"
# memtree's own allocations, and a few of libc's (stdio's buffer, lives).
# A proftop too slow to keep up (a sanitizer build) loses records and
# says how many (allocs_lost, allocations and frees alike): then only
# that the rows are single allocations.
case ${lost:-0}:$rows in
"0:$calls|$calls|$calls" | "0:$((calls + 1))|$((calls + 1))|$calls" | "0:$((calls + 2))|$((calls + 2))|$calls")
	pt_ok "the file holds every allocation raw, each with its free time" ;;
0:*) pt_fail "expected about $calls rows of one allocation each, all of memtree's freed; saw $rows" ;;
*)
	IFS='|' read -r n one _ <<<"$rows"
	if [ "$n" = "$one" ] && [ "$n" -le "$((calls + 2))" ]; then
		pt_ok "$lost records lost (proftop fell behind): the $n rows are each one allocation"
	else
		pt_fail "expected rows of one allocation each, at most $((calls + 2)); saw $rows"
	fi ;;
esac

# The live report, folded within the budget, against the raw session.
pt_report "$PT_WORK/live.csv" --memory --alloc-sample 1 --max-memory 32M --limit 0 \
	--save "$PT_WORK/l.proftop" -- "$w" || pt_finish
pt_report "$PT_WORK/raw.csv" -i "$PT_WORK/l.proftop" --memory --limit 0 || pt_finish
for fn in new_key new_record grow_table one_round main; do
	for c in allocated_bytes allocations live_bytes leaked_bytes; do
		pt_eq "$fn: $c, folded live report = raw session" \
			"$(pt_csv "$PT_WORK/live.csv" "$fn" "$c")" "$(pt_csv "$PT_WORK/raw.csv" "$fn" "$c")"
	done
	raw=$(pt_csv "$PT_WORK/raw.csv" "$fn" peak_bytes)
	if pt_num "$raw"; then
		pt_near "$fn: bytes live at the RSS peak, folded against raw (5%)" \
			"$(pt_csv "$PT_WORK/live.csv" "$fn" peak_bytes)" "$raw" \
			"$(awk -v r="$raw" 'BEGIN { printf "%.0f", r / 20 + 65536 }')"
	fi
done

# report -i folds the records as it loads them, within its budget: the
# same columns as the whole file's.
pt_report "$PT_WORK/small.csv" -i "$PT_WORK/s.proftop" --memory --limit 0 --max-memory 8M || pt_finish
pt_report "$PT_WORK/whole.csv" -i "$PT_WORK/s.proftop" --memory --limit 0 --max-memory 1G || pt_finish
for fn in new_key new_record grow_table main; do
	for c in allocated_bytes allocations live_bytes leaked_bytes; do
		pt_eq "$fn: $c, report -i --max-memory 8M = the whole file" \
			"$(pt_csv "$PT_WORK/small.csv" "$fn" "$c")" "$(pt_csv "$PT_WORK/whole.csv" "$fn" "$c")"
	done
done

# The default budget (256 MiB) holds these records whole: nothing folds.
pt_proftop "$PT_WORK/rec2" record --alloc-sample 1 -o "$PT_WORK/d.proftop" -- "$w" --rounds 2
pt_eq "record --alloc-sample 1 (default budget): exit status" "$PT_RC" 0
pt_eq "folds of the memory records within the default budget" \
	"$(meta "$PT_WORK/d.proftop" memory_alloc_folds)" 0
pt_finish
