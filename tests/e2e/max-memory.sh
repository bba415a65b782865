#!/bin/bash
# --max-memory: past the budget a longer recording's sample log peaks no
# higher than a shorter one's (the model's own byte count, not RSS), the
# session file keeps every raw sample, reports over the folded profile
# agree with the raw session, and nonsense sizes are usage errors.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload threads)
command -v sqlite3 >/dev/null || pt_skip "sqlite3 is not installed (the test reads the session's meta)"
q() { sqlite3 "$1" "$2"; }
meta() { q "$1" "SELECT value FROM meta WHERE key = '$2'"; }

# Two threads spinning at 20 kHz: short and long recordings in 1 MiB.
for d in 4 16; do
	pt_proftop "$PT_WORK/rec$d" record -F 20000 -d "$d" --max-memory 1M \
		-o "$PT_WORK/r$d.proftop" -- "$w" 1000
	if [ "$PT_RC" -ne 0 ]; then
		pt_fail "record -d $d --max-memory 1M: expected exit status 0, saw $PT_RC"
		sed 's/^/#   /' "$PT_WORK/rec$d.err" | head -n 5
		pt_finish
	fi
	echo "# $(tail -n 1 "$PT_WORK/rec$d.err")"
done
short=$PT_WORK/r4.proftop
long=$PT_WORK/r16.proftop
pt_eq "the session notes the budget" "$(meta "$long" max_memory)" 1048576
samples=$(q "$long" "SELECT count(*) FROM samples")
log_short=$(meta "$short" memory_peak_log)
log_long=$(meta "$long" memory_peak_log)
# The short run must already be past the budget, else there is nothing to show.
if [ "$(meta "$short" memory_folds)" = 0 ]; then
	pt_skip "the 4 s run took only $(q "$short" "SELECT count(*) FROM samples") samples and never folded (machine too busy to pass the budget)"
fi
pt_ge "folds of the long run's log" "$(meta "$long" memory_folds)" 2
pt_ge "the long run's raw log would take (bytes)" "$((samples * 32))" "$((3 * log_long))"
pt_le "the long run's log peak (bytes), at most the short run's" "$log_long" "$log_short"
pt_le "the long run's peak, every table (bytes)" "$(meta "$long" memory_peak)" 1048576

# The file keeps every raw sample: as many rows as samples, each count 1.
said=$(sed -n 's/.*: \([0-9]*\) samples in .*/\1/p' "$PT_WORK/rec16.err")
pt_eq "rows in the session = the samples record counted" "$samples" "$said"
pt_eq "every row of the session is a raw sample (max count)" \
	"$(q "$long" "SELECT max(count) FROM samples")" 1

# A report over the folded profile (loaded within 1 MiB) and over the raw one.
pt_report "$PT_WORK/raw.csv" -i "$long" --limit 0 || pt_finish
pt_report "$PT_WORK/folded.csv" -i "$long" --limit 0 --max-memory 1M || pt_finish
if cmp -s "$PT_WORK/raw.csv" "$PT_WORK/folded.csv"; then
	pt_ok "report -i --max-memory 1M is the same as the report of the whole log"
else
	pt_fail "expected the same report with and without folding; diff:"
	diff "$PT_WORK/raw.csv" "$PT_WORK/folded.csv" | head -n 10 | sed 's/^/#   /'
fi

# A live report that folded as it went agrees with its own saved (raw) session.
pt_report "$PT_WORK/live.csv" -F 20000 -d 4 --max-memory 1M --limit 0 \
	--save "$PT_WORK/live.proftop" -- "$w" 1000 || pt_finish
pt_report "$PT_WORK/saved.csv" -i "$PT_WORK/live.proftop" --limit 0 || pt_finish
if cmp -s "$PT_WORK/live.csv" "$PT_WORK/saved.csv"; then
	pt_ok "the live report (folded) is the same as the report of its raw session"
else
	pt_fail "expected the live report to match its session's; diff:"
	diff "$PT_WORK/live.csv" "$PT_WORK/saved.csv" | head -n 10 | sed 's/^/#   /'
fi
pt_eq "the saved live session holds raw samples only" \
	"$(q "$PT_WORK/live.proftop" "SELECT max(count) FROM samples")" 1

# Nonsense sizes: exit 2 with a line naming the option.
for v in 0 -5 12X 1K "" 1.5M 2MB 99999999999G; do
	pt_proftop "$PT_WORK/bad" report -i "$long" --max-memory "$v"
	pt_eq "--max-memory '$v': exit status" "$PT_RC" 2
	if head -n 1 "$PT_WORK/bad.err" | grep -q -- "--max-memory"; then
		pt_ok "--max-memory '$v': $(head -n 1 "$PT_WORK/bad.err")"
	else
		pt_fail "--max-memory '$v': expected a line naming --max-memory, saw: $(head -n 1 "$PT_WORK/bad.err")"
	fi
done
pt_proftop "$PT_WORK/good" report -i "$long" --max-memory 64m --limit 1
pt_eq "--max-memory 64m is accepted" "$PT_RC" 0
pt_finish
