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

# report --memory prints no CPU time, and collects none: the header says
# so, the JSON's rate is 0 and its samples none. -F samples CPU too.
if grep -q '^no CPU samples (memory only; -F HZ samples CPU too) in ' "$PT_WORK/out.txt"; then
	pt_ok "the header says no CPU samples were taken"
else
	pt_fail "expected the header to say 'no CPU samples (memory only; ...)'; saw:"
	sed -n 2p "$PT_WORK/out.txt" | sed 's/^/#   /'
fi
json_int() { grep -o "\"$2\":[0-9]*" "$1" | head -n 1 | cut -d: -f2; }
pt_proftop "$PT_WORK/mem.json" report --memory --format json -- "$w"
pt_eq "report --memory --format json: exit status" "$PT_RC" 0
pt_eq "report --memory: freq_hz" "$(json_int "$PT_WORK/mem.json" freq_hz)" 0
pt_eq "report --memory: samples" "$(json_int "$PT_WORK/mem.json" samples)" 0
# A function with no memory record: the line says no CPU samples were taken.
pt_proftop "$PT_WORK/nofn" report --memory --lines no_such_function -- "$w"
pt_eq "report --memory --lines no_such_function: exit status" "$PT_RC" 1
if grep -q "no function named 'no_such_function' among the memory records (no CPU samples" \
	"$PT_WORK/nofn.err"; then
	pt_ok "an unknown function: $(head -n 1 "$PT_WORK/nofn.err")"
else
	pt_fail "expected one line naming the function and the memory records; saw: $(head -n 2 "$PT_WORK/nofn.err")"
fi
pt_proftop "$PT_WORK/cpu.json" report --memory -F 997 --format json -- "$w"
pt_eq "report --memory -F 997 --format json: exit status" "$PT_RC" 0
pt_eq "report --memory -F 997: freq_hz" "$(json_int "$PT_WORK/cpu.json" freq_hz)" 997
pt_ge "report --memory -F 997: samples" "$(json_int "$PT_WORK/cpu.json" samples)" 10
pt_finish
