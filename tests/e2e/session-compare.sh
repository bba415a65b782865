#!/bin/bash
# Comparing two sessions: a program whose hot() does 3 times the work of
# its baseline (hot:cold 1:1 -> 3:1, so hot's %self 50 -> 75) shows hot
# first under --sort delta (own time), with delta %self ~ +25, flagged past
# --threshold (points); cold shows ~ -25 points, not flagged, its own time
# unchanged. (--limit 0: under --sort delta cold comes last, after every
# function with a sample more or less; in CI it fell past the 20 rows.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
pt_alone
command -v cc >/dev/null || pt_skip "no C compiler to build the two versions"
cat >"$PT_WORK/prog.c" <<'EOF'
#include <stdint.h>
volatile uint64_t sink = 1;

#define SPIN(n) do { uint64_t x = sink | 1; \
	for (uint64_t i = 0; i < (n); i++) { x = x * 6364136223846793005ULL + 1; x ^= x >> 29; } \
	sink = x; } while (0)

__attribute__((noinline)) void hot(uint64_t n) { SPIN(HOT * n); }
__attribute__((noinline)) void cold(uint64_t n) { SPIN(n); }

int main(void)
{
	for (int r = 0; r < 100; r++) {
		hot(1500000);
		cold(1500000);
	}
	return 0;
}
EOF
for v in 1 3; do
	cc -O2 -g -DHOT=$v -o "$PT_WORK/prog$v" "$PT_WORK/prog.c" || pt_skip "cc failed"
	pt_proftop "$PT_WORK/rec$v" record -o "$PT_WORK/v$v.proftop" -- "$PT_WORK/prog$v"
	pt_eq "record version $v" "$PT_RC" 0
done

H=function,module,file,line,self_samples,total_samples,self_pct,total_pct,tottime,cumtime,calls,inlined
pt_proftop "$PT_WORK/d.csv" report -i "$PT_WORK/v3.proftop" --baseline "$PT_WORK/v1.proftop" \
	--sort delta --threshold 10 --format csv --limit 0
pt_eq "report --baseline exit status" "$PT_RC" 0
pt_eq "CSV header" "$(head -n 1 "$PT_WORK/d.csv")" \
	"$H,delta_self_pct,delta_total_pct,delta_tottime,base_self_pct,base_total_pct,base_tottime,regression,verdict,delta_tottime_pct,delta_tottime_half,delta_tottime_p,base_cumtime,delta_cumtime,delta_cumtime_pct,delta_cumtime_half,delta_cumtime_p,delta_self_pct_half,delta_self_pct_p,run_tottime,run_cumtime,tottime_df"
col() { awk -F, -v fn="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next }
	$1 == fn { print $k[c]; exit }' "$PT_WORK/d.csv"; }
pt_eq "first row under --sort delta" "$(awk -F, 'NR == 2 { print $1 }' "$PT_WORK/d.csv")" hot
pt_near "hot: delta %self" "$(col hot delta_self_pct)" 25 6
pt_near "hot: baseline %self" "$(col hot base_self_pct)" 50 6
pt_near "hot: %self now" "$(col hot self_pct)" 75 6
pt_eq "hot: flagged" "$(col hot regression)" 1
pt_near "cold: delta %self" "$(col cold delta_self_pct)" -25 6
pt_eq "cold: not flagged" "$(col cold regression)" 0
# --sort delta orders by own time: cold's did not change.
pt_near "cold: delta tottime" "$(col cold delta_tottime)" 0 0.15
# hot's own time grew by about 2x its baseline time (3x the work).
pt_ge "hot: delta tottime > 0" "$(col hot delta_tottime)" 0.1

pt_proftop "$PT_WORK/d.txt" report -i "$PT_WORK/v3.proftop" --baseline "$PT_WORK/v1.proftop" \
	--sort delta --threshold 10
if grep -qE '^! *\+[0-9.]+ .* hot ' "$PT_WORK/d.txt" &&
	grep -q "1 regression, 1 improvement: a change past 10.0 points of %self" "$PT_WORK/d.txt"; then
	pt_ok "the text report marks hot with ! and counts one regression"
else
	pt_fail "expected hot marked with ! and '1 regression' in:"
	sed 's/^/#   /' "$PT_WORK/d.txt" | head -n 20
fi

pt_proftop "$PT_WORK/d.json" report -i "$PT_WORK/v3.proftop" --baseline "$PT_WORK/v1.proftop" \
	--sort delta --threshold 10 --format json
if grep -q '"baseline":{"command":"[^"]*prog1","samples":[0-9]*,"cpu_s":[0-9.]*,"sort_delta":true,"threshold":10.00,"regressions":1,' "$PT_WORK/d.json" &&
	grep -q '"function":"hot".*"regression":true' "$PT_WORK/d.json"; then
	pt_ok "the JSON report carries the baseline and the flag"
else
	pt_fail "expected the baseline object and hot flagged in the JSON; saw:"
	head -c 600 "$PT_WORK/d.json" | sed 's/^/#   /'
fi

pt_proftop "$PT_WORK/u" report -i "$PT_WORK/v3.proftop" --sort delta
pt_eq "--sort delta without --baseline: usage error" "$PT_RC" 2
pt_proftop "$PT_WORK/u" report -i "$PT_WORK/v3.proftop" --threshold 5
pt_eq "--threshold without --baseline: usage error" "$PT_RC" 2
pt_proftop "$PT_WORK/u" report -i "$PT_WORK/v3.proftop" --baseline "$PT_WORK/v1.proftop" \
	--threshold lots
pt_eq "--threshold lots: usage error" "$PT_RC" 2
if grep -q "invalid threshold 'lots'" "$PT_WORK/u.err"; then
	pt_ok "the usage error names the threshold"
else
	pt_fail "expected \"invalid threshold 'lots'\" in: $(head -n 1 "$PT_WORK/u.err")"
fi
pt_finish
