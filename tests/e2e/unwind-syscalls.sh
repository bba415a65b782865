#!/bin/bash
# DWARF unwinding makes no system call per sample: libunwind's cache lock
# used to block signals around every frame (two rt_sigprocmask calls per
# frame, ~10 per sample here). proftop's own calls (strace without -f, so
# the target's are not counted) stay a handful for the whole run.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v strace >/dev/null || pt_skip "strace is not installed (apt-get install strace)"
shares=$(pt_workload shares)

echo "# strace -c proftop report --format csv -- shares"
# LeakSanitizer (a sanitizer build) cannot run under strace: leaks unchecked here
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -c -o "$PT_WORK/strace.txt" "$PROFTOP" report --format csv -- "$shares" \
	>"$PT_WORK/out.csv" 2>"$PT_WORK/err.txt"
rc=$?
grep -Eq "$PT_PERM_RE" "$PT_WORK/err.txt" && pt_skip "perf_event_open refused: $(head -n 1 "$PT_WORK/err.txt")"
pt_eq "proftop under strace: exit status" "$rc" 0
samples=$(pt_csv_rows "$PT_WORK/out.csv" self_samples | awk '{ s += $1 } END { printf "%.0f", s }')
pt_ge "samples" "$samples" 1000
calls=$(awk '$NF == "rt_sigprocmask" { print $4 }' "$PT_WORK/strace.txt")
pt_le "rt_sigprocmask calls by proftop for $samples samples" "${calls:-0}" 100
pt_finish
