#!/bin/bash
# --memory on a program that grows by 10 x 20 MiB: the report states a
# growth of at least 150 MiB.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload memory)

pt_proftop "$PT_WORK/out.txt" report --memory -- "$w"
pt_eq "proftop exit status" "$PT_RC" 0
# The first "growth" figure with its unit, in MiB (B, KiB/KB/K, MiB/MB/M,
# GiB/GB/G; decimal or binary prefixes alike read as binary).
growth=$(grep -i -m1 'growth' "$PT_WORK/out.txt" | awk '{
	line = tolower($0); sub(/.*growth/, "", line)
	if (match(line, /[+]?[0-9]+(\.[0-9]+)?[ ]*(gib|gb|g|mib|mb|m|kib|kb|k|b|bytes)?/)) {
		s = substr(line, RSTART, RLENGTH); sub(/^[+]/, "", s)
		n = s + 0; u = s; sub(/^[0-9.]+[ ]*/, "", u)
		if (u ~ /^g/) n *= 1024; else if (u ~ /^m/) n *= 1; else if (u ~ /^k/) n /= 1024
		else n /= 1048576
		printf "%.1f", n
	}
}')
if [ -z "$growth" ]; then
	pt_fail "expected a line with the memory growth in the report; saw:"
	sed 's/^/#   /' "$PT_WORK/out.txt" "$PT_WORK/out.txt.err" | head -n 30
else
	echo "# $(grep -i -m1 growth "$PT_WORK/out.txt")"
	pt_ge "RSS growth in MiB" "$growth" 150
	pt_le "RSS growth in MiB" "$growth" 260
fi
pt_finish
