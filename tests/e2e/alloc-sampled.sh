#!/bin/bash
# Allocations sampled by bytes (the default, one sample every 64 KiB on
# average) on tests/workloads/memalloc: each function's own allocated
# bytes within 5% (300 MiB in 1 KiB blocks: about 4,800 samples, a 1.4%
# standard error), the leak's bytes within 5%, nothing live in the others.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload memalloc)
PT_CSV_HEADER='function,module,allocated_bytes,self_allocated_bytes,allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes'
MIB=1048576

pt_proftop "$PT_WORK/out.csv" report --memory --format csv --limit 100 -- "$w"
pt_eq "proftop exit status" "$PT_RC" 0
if ! grep -qx "$PT_CSV_HEADER" "$PT_WORK/out.csv"; then
	pt_fail "expected the memory table's CSV header '$PT_CSV_HEADER'; saw:"
	sed 's/^/#   /' "$PT_WORK/out.csv" "$PT_WORK/out.csv.err" | head -n 20
	pt_finish
fi
while read -r fn mib count; do
	b=$((mib * MIB))
	pt_near "$fn: bytes allocated by itself (±5%)" \
		"$(pt_csv "$PT_WORK/out.csv" "$fn" self_allocated_bytes)" "$b" $((b / 20))
	pt_near "$fn: allocations (±5%)" "$(pt_csv "$PT_WORK/out.csv" "$fn" allocations)" \
		"$count" $((count / 20 + 1))
done <<END
small_blocks 300 307200
big_blocks 100 100
leak_blocks 10 20
churn_blocks 1024 1024
END
pt_near "leak_blocks: bytes leaked (±5%)" "$(pt_csv "$PT_WORK/out.csv" leak_blocks leaked_bytes)" \
	$((10 * MIB)) $((MIB / 2))
for fn in small_blocks big_blocks churn_blocks; do
	pt_eq "$fn: bytes live at the end" "$(pt_csv "$PT_WORK/out.csv" "$fn" live_bytes)" 0
done
pt_finish
