#!/bin/bash
# Allocations of Python code attributed to its Python functions, with the
# C code they called underneath (the tracker copies the allocating
# thread's Python frames in the target; proftop merges them as it does a
# CPU sample's). tests/workloads/py-alloc.py allocates known amounts in
# make_big (100 x 1 MiB bytearrays) and make_small (7680 x 4096-byte bytes
# objects), under Debian's CPython 3.11 and pyenv's 3.12 and 3.13 where
# present (3.11's entry frames, 3.12's shim frames, 3.13's frame pointer
# in the thread state). Every allocation recorded (--alloc-sample 1):
#   make_big    100 x (1 MiB + 1) and its list (856 bytes)
#   make_small  7680 x 4129 (4096 and the bytes object's header) and its
#               list (61,496 bytes, less the 56 of its header: pymalloc's)
# within 0.5% below and 2% above (a pymalloc arena would add 1 MiB); the
# hottest line of make_small, by bytes, its bytes(4096) line; >= 99% of
# make_small's bytes in C code under it (folded export, weight bytes).
# Then sampled at the default (one sample every 64 KiB): make_big within
# 5% (its blocks are sampled almost surely), make_small within 15% (about
# 480 samples of 4 KiB blocks: 3 standard deviations).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
pt_need_perf

pt_alloc_pythons

MEM_HEADER='function,module,allocated_bytes,self_allocated_bytes,allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes'
# mem_csv FILE FUNCTION COLUMN: from report --memory's CSV
mem_csv()
{
	PT_CSV_HEADER=$MEM_HEADER pt_csv "$@"
}

script="$PT_WORK/py-alloc.py"
cp "$top_srcdir/tests/workloads/py-alloc.py" "$script"
big=$((100 * 1048577 + 856))
small=$((7680 * 4129 + 61496 - 56))
line=$(grep -n 'the allocating line of make_small' "$script" | cut -d: -f1)

# Allocations proftop read too late to name their Python code are under
# "(Python code freed before proftop read it)": a module's top-level code,
# run at its import, is freed at once (a little, always), and with a
# loaded or sanitized proftop the program may end before the rest is read.
FREED='(Python code freed before proftop read it)'

# within NAME SEEN WANT BELOW% ABOVE% [CSV]: within the bounds; with CSV,
# SEEN and what that CSV has under FREED within the lower one (not lost,
# perhaps unnamed), SEEN alone within the upper one
within()
{
	local freed=0
	if [ -n "${6:-}" ]; then
		freed=$(mem_csv "$6" "$FREED" allocated_bytes)
		pt_num "$freed" || freed=0
		[ "$freed" -gt 0 ] && echo "# $freed bytes under '$FREED' in $(basename "$6")"
	fi
	if ! pt_num "$2" && [ "$freed" -eq 0 ]; then
		pt_fail "$1: expected $3 (-$4% +$5%), saw '${2:-nothing}'"
	elif awk -v s="${2:-0}" -v f="$freed" -v w="$3" -v b="$4" -v a="$5" \
		'BEGIN { exit !(s + f >= w * (1 - b / 100) && s <= w * (1 + a / 100)) }'; then
		pt_ok "$1: ${2:-0} (expected $3, -$4% +$5%; with the unnamed: $((${2:-0} + freed)))"
	else
		pt_fail "$1: expected $3 (-$4% +$5%), saw ${2:-nothing} (with the unnamed: $((${2:-0} + freed)))"
	fi
}


for py in "${PT_PYTHONS[@]}"; do
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	echo "# CPython $v: $py"
	s="$PT_WORK/py$v.proftop"
	pt_proftop "$PT_WORK/rec$v.txt" record -o "$s" --alloc-sample 1 -- "$py" "$script"
	pt_eq "$v: record exit status" "$PT_RC" 0
	grep -E 'allocations|python' "$PT_WORK/rec$v.txt.err" | sed 's/^/#   /'
	out="$PT_WORK/mem$v.csv"
	pt_proftop "$out" report -i "$s" --memory --format csv --limit 0
	within "$v: make_big allocated_bytes (every allocation)" \
		"$(mem_csv "$out" make_big allocated_bytes)" "$big" 0.5 2 "$out"
	within "$v: make_small allocated_bytes (every allocation)" \
		"$(mem_csv "$out" make_small allocated_bytes)" "$small" 0.5 2 "$out"
	pt_eq "$v: make_small module" "$(mem_csv "$out" make_small module)" "[python]"
	pt_eq "$v: make_small self_allocated_bytes (malloc is called from C)" \
		"$(mem_csv "$out" make_small self_allocated_bytes)" 0

	if ! pt_num "$(mem_csv "$out" make_small allocated_bytes)"; then
		echo "# $v: none of make_small's allocations named: its lines and stacks not checked"
		continue
	fi
	pt_proftop "$PT_WORK/lines$v.txt" report -i "$s" --memory --lines py-alloc.py:make_small
	hot=$(awk '$1 == "*" { print $7 }' "$PT_WORK/lines$v.txt" | head -1)
	pt_eq "$v: make_small's line with the most bytes (report --memory --lines)" "$hot" "$line"
	[ "$hot" = "$line" ] || sed 's/^/#   /' "$PT_WORK/lines$v.txt" | tail -n 8

	pt_proftop "$PT_WORK/f$v.folded" export -i "$s" -f folded --weight bytes -o -
	pt_ge "$v: % of make_small's bytes in C code under it (folded)" "$(awk '
		{ n = $NF; sub(/ [0-9]+$/, "") }
		/(^|;)make_small(;|$)/ { all += n; if ($0 ~ /(^|;)make_small;/) under += n }
		END { if (all) printf "%.1f", 100 * under / all; else print "none" }' "$PT_WORK/f$v.folded")" 99
done

py=${PT_PYTHONS[0]}
echo "# sampled at the default, $py"
pt_proftop "$PT_WORK/sampled.csv" report --memory --format csv --limit 0 -- "$py" "$script"
pt_eq "sampled: report exit status" "$PT_RC" 0
within "sampled: make_big allocated_bytes" "$(mem_csv "$PT_WORK/sampled.csv" make_big allocated_bytes)" \
	"$big" 5 5 "$PT_WORK/sampled.csv"
within "sampled: make_small allocated_bytes" "$(mem_csv "$PT_WORK/sampled.csv" make_small allocated_bytes)" \
	"$small" 15 15 "$PT_WORK/sampled.csv"
pt_finish
