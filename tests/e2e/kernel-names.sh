#!/bin/bash
# Kernel time is named by function, as perf names it, where /proc/kallsyms
# shows addresses: dd copying /dev/zero to /dev/null spends its kernel time
# in read_zero and write_null (module [kernel]), not in one [kernel] row.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v dd >/dev/null || pt_skip "no dd"
[ "$(awk 'NR == 1 { print $1 }' /proc/kallsyms 2>/dev/null | tr -d 0)" ] ||
	pt_skip "/proc/kallsyms hides kernel addresses here (kernel.kptr_restrict; not root)"

pt_report "$PT_WORK/out.csv" --limit 0 -- dd if=/dev/zero of=/dev/null bs=64 count=200000 ||
	pt_finish
kernel_rows() { awk -F, '$2 == "[kernel]" { print $1 }' "$PT_WORK/out.csv"; }
echo "# kernel functions: $(kernel_rows | head -n 12 | tr '\n' ' ')"
for fn in read_zero write_null; do
	if kernel_rows | grep -qx "$fn"; then
		pt_ok "$fn named in module [kernel]"
	else
		pt_fail "expected a row $fn in module [kernel], saw: $(kernel_rows | head -n 8 | tr '\n' ' ')"
	fi
done
pt_ge "kernel functions named" "$(kernel_rows | grep -cvx '\[kernel\]')" 3
pt_finish
