#!/bin/bash
# The bench's statistics helpers (bench/lib.sh) give what its tables claim:
# spread is median [min .. max] of the numeric values (even count: the mean
# of the middle two), skips n/a, prints counts past 2^31 whole under mawk;
# rotated runs the configurations in the order A B C, B C A, C A B.
# bench/cputime (when built: make bench) times to the microsecond and
# passes the command's exit status on. No timing is asserted. (mawk: no
# {n} intervals in regular expressions.)
source "$(dirname "$0")/../lib.sh"
pt_setup
lib=$top_srcdir/bench/lib.sh
[ -r "$lib" ] || { pt_fail "expected $lib, saw no such file"; pt_finish; }
source "$lib"

check()
{
	if [ "$2" = "$3" ]; then pt_ok "$1: $3"; else pt_fail "$1: expected '$2', saw '$3'"; fi
}

check "median, min, max of 3 1 2" "2.00 [1.00 .. 3.00]" "$(printf '3\n1\n2\n' | spread %.2f)"
check "even count: mean of the middle two" "2.5x [1.0 .. 4.0]" "$(printf '4\n1\n3\n2\n' | spread %.1f x)"
check "n/a and text skipped" "-1.5% [-3.0 .. 0.0]" "$(printf 'n/a\n-3\nfoo\n0\n' | spread %.1f %)"
check "one value says so" "7 (1 round)" "$(echo 7 | spread %.0f)"
check "nothing numeric" "n/a" "$(printf 'n/a\n\n' | spread %.1f)"
check "past 2^31, whole" "3000000001 [3000000001 .. 3000000001]" \
	"$(printf '3000000001\n3000000001\n' | spread %.0f)"
check "round 1" "a b c " "$(rotated 1 a b c)"
check "round 2" "b c a " "$(rotated 2 a b c)"
check "round 3" "c a b " "$(rotated 3 a b c)"
check "round 4 wraps" "a b c " "$(rotated 4 a b c)"

ct=$top_builddir/bench/cputime
if [ -x "$ct" ]; then
	"$ct" "$PT_WORK/t" bash -c 'exit 3'
	check "cputime passes the exit status on" 3 "$?"
	check "cputime writes wall user sys maxrss, to the microsecond" 1 \
		"$(awk -v u='\\.[0-9][0-9][0-9][0-9][0-9][0-9]$' \
			'NF == 4 && $1 ~ u && $2 ~ u && $3 ~ u && $4 ~ /^[0-9]+$/ { print 1 }' "$PT_WORK/t")"
	"$ct" "$PT_WORK/t" "$PT_WORK/no-such-command" 2>/dev/null
	check "cputime on a missing command" 127 "$?"
else
	echo "# $ct not built (make bench builds it): its checks skipped"
fi
# perf gets proftop's ring size in the lost comparisons: ring_pages is
# sampler-perf.c's rule (a quarter second of 8 KiB-stack samples, 512 to
# 8192 pages of 4 KiB).
if [ "$(getconf PAGESIZE)" = 4096 ]; then
	check "ring pages at 997 Hz" 1024 "$(ring_pages 997)"
	check "ring pages at 5 kHz" 4096 "$(ring_pages 5000)"
	check "ring pages at 20 kHz (the cap)" 8192 "$(ring_pages 20000)"
	check "ring pages at 10 Hz (the floor)" 512 "$(ring_pages 10)"
fi
check "lost shares of 'samples lost' lines, n/a skipped" "1.00 0.00" \
	"$(printf '990 10\nn/a n/a\n5 0\n' | lost_pct | tr '\n' ' ' | sed 's/ $//')"
pt_finish
