#!/bin/bash
# A mapping replaced in place: tests/workloads/mapfixed maps 8 MiB in
# replace(), maps 8 MiB over it with MAP_FIXED (the kernel unmaps the
# first), unmaps that, and maps 4 MiB in keep() that it never unmaps.
# Every allocation recorded: replace() allocated 16 MiB and leaked
# nothing (the first mapping was freed by the second, not leaked); keep()
# leaked its 4 MiB.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload mapfixed)
PT_CSV_HEADER='function,module,allocated_bytes,self_allocated_bytes,allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes'
pt_proftop "$PT_WORK/out.csv" report --memory --alloc-sample 1 --format csv --limit 0 -- "$w"
pt_eq "proftop exit status" "$PT_RC" 0
pt_evidence "$PT_WORK/out.csv" 8
pt_evidence "$PT_WORK/out.csv.err" 4
grep -q 'not tracked' "$PT_WORK/out.csv.err" && pt_skip "allocations not tracked here: $(grep 'not tracked' "$PT_WORK/out.csv.err")"
mib=1048576
pt_eq "replace: allocated_bytes (two 8 MiB mappings)" \
	"$(pt_csv "$PT_WORK/out.csv" replace allocated_bytes)" $((16 * mib))
pt_eq "replace: allocations" "$(pt_csv "$PT_WORK/out.csv" replace allocations)" 2
pt_eq "replace: leaked_bytes (the first freed by MAP_FIXED, the second by munmap)" \
	"$(pt_csv "$PT_WORK/out.csv" replace leaked_bytes)" 0
pt_eq "keep: leaked_bytes" "$(pt_csv "$PT_WORK/out.csv" keep leaked_bytes)" $((4 * mib))
pt_finish
