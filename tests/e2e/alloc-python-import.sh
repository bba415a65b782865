#!/bin/bash
# Allocations of Python code that is freed before proftop reads them:
# tests/workloads/py-import.py makes 20 modules from source, each with a
# fill_K that allocates 256 x 4096-byte bytes objects (1 MiB), runs it at
# the module's top level and drops the module; its code objects' memory
# goes to the next module's. The tracker sends each code object's names
# the first time it meets it (or a new one at its address): with every
# allocation recorded, each fill_K has its own 256 x 4129 bytes (and its
# list: within -0.5% +2%), none is named after another module's code,
# and almost nothing is left as "(Python code freed before proftop read
# it)". Under Debian's CPython 3.11 and pyenv's 3.12 and 3.13 if present.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
pt_need_perf

pt_alloc_pythons

PT_CSV_HEADER='function,module,allocated_bytes,self_allocated_bytes,allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes'
script="$PT_WORK/py-import.py"
cp "$top_srcdir/tests/workloads/py-import.py" "$script"
want=$((256 * 4129))

for py in "${PT_PYTHONS[@]}"; do
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	out="$PT_WORK/mem$v.csv"
	echo "# CPython $v: $py"
	pt_proftop "$out" report --memory --alloc-sample 1 --format csv --limit 0 -- "$py" "$script"
	pt_eq "$v: exit status" "$PT_RC" 0
	pt_evidence "$out.err" 3
	grep -q 'not tracked' "$out.err" && pt_skip "allocations not tracked here: $(grep 'not tracked' "$out.err")"
	bad=0 named=0
	for k in $(seq 0 19); do
		b=$(pt_csv "$out" "fill_$k" allocated_bytes)
		if pt_num "$b" && awk -v s="$b" -v w="$want" \
			'BEGIN { exit !(s >= w * 0.995 && s <= w * 1.02) }'; then
			named=$((named + 1))
		else
			bad=$((bad + 1))
			echo "# $v: fill_$k allocated '${b:-nothing}', expected $want (-0.5% +2%)"
		fi
	done
	pt_eq "$v: modules whose fill_K has its own bytes" "$named" 20
	freed=$(pt_csv "$out" '(Python code freed before proftop read it)' allocated_bytes)
	pt_num "$freed" || freed=0
	pt_le "$v: bytes left to freed code (of $((20 * want)))" "$freed" $((20 * want / 100))
done
pt_finish
