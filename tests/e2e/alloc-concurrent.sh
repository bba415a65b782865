#!/bin/bash
# The allocation tracker in a program that allocates from 3 threads, from
# a forked child (no exec) and from signal handlers (a raised SIGUSR1 that
# mallocs, a profiling timer whose handler maps memory at any moment, the
# tracker included): the program computes the same checksum with and
# without it and exits 0, sampled and exact; exact, the child's and the
# threads' own bytes are counted exactly (the child writes into the same
# ring with its own pid), and the handler's allocations are seen.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload memalloc)
PT_CSV_HEADER='function,module,allocated_bytes,self_allocated_bytes,allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes'
args=(--fork --threads 3 --signal --scale 0.25)

"$w" "${args[@]}" >"$PT_WORK/alone.out" 2>&1
want=$(grep '^checksum' "$PT_WORK/alone.out")
want_child=$(grep '^child checksum' "$PT_WORK/alone.out")
[ -n "$want" ] || pt_fail "memalloc alone printed no checksum: $(head -n 3 "$PT_WORK/alone.out")"

for mode in 64K 1; do
	out=$PT_WORK/out.$mode.csv
	pt_proftop "$out" report --exit-status --memory --alloc-sample "$mode" --format csv \
		--limit 200 -- "$w" "${args[@]}"
	pt_eq "--alloc-sample $mode: exit status (the target's)" "$PT_RC" 0
	pt_eq "--alloc-sample $mode: the program's checksum" "$(grep '^checksum' "$out")" "$want"
	pt_eq "--alloc-sample $mode: the child's checksum" "$(grep '^child checksum' "$out")" "$want_child"
	if [ "$mode" = 1 ]; then
		pt_eq "child_blocks (forked child): bytes" \
			"$(pt_csv "$out" child_blocks self_allocated_bytes)" 13107200
		pt_eq "child_blocks: allocations" "$(pt_csv "$out" child_blocks allocations)" 3200
		pt_eq "thread_blocks (3 threads): bytes" \
			"$(pt_csv "$out" thread_blocks self_allocated_bytes)" 15728640
		pt_eq "small_blocks (main thread): bytes" \
			"$(pt_csv "$out" small_blocks self_allocated_bytes)" 78643200
		pt_ge "on_usr1 (signal handler, malloc): allocations" \
			"$(pt_csv "$out" on_usr1 allocations)" 1
	else
		# 50 MiB x 0.25 in 4 KiB blocks: about 200 samples, 7% standard error
		pt_near "child_blocks (forked child): bytes (±30%)" \
			"$(pt_csv "$out" child_blocks self_allocated_bytes)" 13107200 3932160
	fi
done
pt_finish
