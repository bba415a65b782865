#!/bin/bash
# The case a share comparison cannot see: slowed() holds ~99% of the time
# (regress ... solo) and gets 42% slower (regress-slow42). Its %self hardly
# moves, so --threshold 5pt does not flag it; its own time grows by ~42%,
# so --threshold 10% does, and --fail-on-regression exits 3. Three runs of
# each, with the machine to this test alone (pt_alone). A run slowed by the
# machine (in CI, one run of three took twice the CPU of the others:
# +35.8% ±0.227 s of 0.167 s) leaves the change within the interval, and
# "same" is then the right verdict: such an attempt is recorded again, up
# to 3 times; one where the change is not seen at all fails at once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
base=$(pt_workload regress)
slow=$(pt_workload regress-slow42)
pt_alone

col() { awk -F, -v fn="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next }
	$1 == fn { print $k[c]; exit }' "$1"; }

attempt=0 flagged=
while [ -z "$flagged" ] && [ "$attempt" -lt 3 ]; do
	attempt=$((attempt + 1))
	echo "# attempt $attempt"
	for v in old new; do
		prog=$base
		[ "$v" = new ] && prog=$slow
		pt_proftop "$PT_WORK/$v.rec" record --repeat 3 -F 1999 -o "$PT_WORK/$v.proftop" -- "$prog" 0.8 solo
		pt_eq "record --repeat 3 $prog solo: exit status" "$PT_RC" 0
	done
	[ "$pt_failures" -eq 0 ] || pt_finish

	pt_proftop "$PT_WORK/pt.csv" report -i "$PT_WORK/new.proftop" --baseline "$PT_WORK/old.proftop" \
		--threshold 5pt --format csv
	pt_near "slowed: %self now" "$(col "$PT_WORK/pt.csv" slowed self_pct)" 98 2.5
	pt_near "slowed: delta %self" "$(col "$PT_WORK/pt.csv" slowed delta_self_pct)" 0 3
	pt_eq "slowed under --threshold 5pt (share points)" "$(col "$PT_WORK/pt.csv" slowed verdict)" same

	pt_proftop "$PT_WORK/pct.csv" report -i "$PT_WORK/new.proftop" --baseline "$PT_WORK/old.proftop" \
		--threshold 10% --format csv
	verdict=$(col "$PT_WORK/pct.csv" slowed verdict)
	pct=$(col "$PT_WORK/pct.csv" slowed delta_tottime_pct)
	delta=$(col "$PT_WORK/pct.csv" slowed delta_tottime)
	half=$(col "$PT_WORK/pct.csv" slowed delta_tottime_half)
	echo "attempt $attempt: slowed $verdict, own time +$pct% (+$delta s ± $half s)" |
		tee -a "$PT_WORK/attempts" | sed 's/^/# /'
	if [ "$verdict" = regression ]; then
		flagged=$attempt
	elif pt_num "$pct" && pt_num "$half" && [ "$attempt" -lt 3 ] &&
		awk -v p="$pct" -v d="$delta" -v h="$half" 'BEGIN { exit !(p >= 10 && h >= d) }'; then
		echo "# the change is seen but within this attempt's spread: recording again"
	else
		break
	fi
done
pt_evidence "$PT_WORK/attempts"
pt_near "slowed: own time, percent slower" "$pct" 42 15
pt_eq "slowed under --threshold 10%" "$verdict" regression

pt_proftop "$PT_WORK/g" report -i "$PT_WORK/new.proftop" --baseline "$PT_WORK/old.proftop" \
	--fail-on-regression
pt_eq "--fail-on-regression: exit status" "$PT_RC" 3
if grep -qE '^! +\+[0-9.]+ .*\+[34][0-9]\.[0-9]%.* slowed ' "$PT_WORK/g"; then
	pt_ok "the text report marks slowed with ! and its percent change"
else
	pt_fail "expected slowed marked ! with a change of 30-49% in:"
	grep -E 'slowed|regression' "$PT_WORK/g" | sed 's/^/#   /'
fi
pt_finish
