#!/bin/bash
# --alloc-sample 1 (every allocation) on tests/workloads/memalloc: each
# function's own allocated bytes exactly (300 MiB in 1 KiB blocks, 100 MiB
# in 1 MiB blocks, 10 MiB leaked, 1 GiB allocated and freed), the number of
# allocations exactly, and what stays live at the end: the leak only.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
PT_TIMEOUT=${PT_TIMEOUT:-180} # every allocation of 1.4 GiB: slow on a loaded machine
pt_setup
w=$(pt_workload memalloc)
PT_CSV_HEADER='function,module,allocated_bytes,self_allocated_bytes,allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes'
MIB=1048576

pt_proftop "$PT_WORK/out.csv" report --memory --alloc-sample 1 --format csv --limit 100 -- "$w"
pt_eq "proftop exit status" "$PT_RC" 0
if ! grep -qx "$PT_CSV_HEADER" "$PT_WORK/out.csv"; then
	pt_fail "expected the memory table's CSV header '$PT_CSV_HEADER'; saw:"
	sed 's/^/#   /' "$PT_WORK/out.csv" "$PT_WORK/out.csv.err" | head -n 20
	pt_finish
fi
# function  self bytes  allocations  live at the end
while read -r fn bytes count live; do
	pt_eq "$fn: bytes allocated by itself" "$(pt_csv "$PT_WORK/out.csv" "$fn" self_allocated_bytes)" "$bytes"
	pt_eq "$fn: allocations" "$(pt_csv "$PT_WORK/out.csv" "$fn" allocations)" "$count"
	pt_eq "$fn: bytes live at the end" "$(pt_csv "$PT_WORK/out.csv" "$fn" live_bytes)" "$live"
done <<END
small_blocks $((300 * MIB)) 307200 0
big_blocks $((100 * MIB)) 100 0
leak_blocks $((10 * MIB)) 20 $((10 * MIB))
churn_blocks $((1024 * MIB)) 1024 0
END
pt_eq "leak_blocks: bytes leaked" "$(pt_csv "$PT_WORK/out.csv" leak_blocks leaked_bytes)" $((10 * MIB))
pt_eq "churn_blocks: bytes leaked" "$(pt_csv "$PT_WORK/out.csv" churn_blocks leaked_bytes)" 0
# main's column counts what it called: at least the four functions' sum
pt_ge "main: bytes allocated (what it called)" "$(pt_csv "$PT_WORK/out.csv" main allocated_bytes)" \
	$((1434 * MIB))
if grep -q 'records dropped\|not tracked' "$PT_WORK/out.csv" "$PT_WORK/out.csv.err"; then
	pt_fail "expected no allocation record lost; saw: $(grep -h 'records dropped\|not tracked' "$PT_WORK/out.csv" "$PT_WORK/out.csv.err")"
fi
pt_finish
