#!/bin/bash
# --latency must not cut call stacks short (issue 9). calls-chain runs
# main -> outer -> mid -> leaf, leaf hot; with --latency mid,guard,hop, the samples
# inside mid still unwind to outer and main: their totals and the share of
# truncated stacks stay within 5 points of a run without --latency (a
# uretprobe swapped mid's return address for the kernel's trampoline: 99%
# of stacks stopped at "[uprobes]"). The latencies still come out right:
# 201 calls, a median within 5% of the one the program measured itself.
# guard(), timed too, returns from its cold part ("guard.cold") one call in
# 10: those calls are timed as well, all 201. hop() only tail-calls guard:
# no `ret` to probe, so it gets a uretprobe (stderr says so), and both
# pair: guard at its `ret`, hop through the trampoline.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload calls-chain)
count=201

# json FILE FUNCTION KEY: a value of FUNCTION's first record in FILE (its
# row in the function table, or with --latency its latency record).
json()
{
	grep -o "{\"function\":\"$2\",\"module\":[^}]*" "$1" | head -n 1 |
		sed -n "s/.*\"$3\":\([0-9.a-z]*\).*/\1/p"
}
# truncated FILE: the percentage of samples with truncated stacks.
truncated()
{
	sed -n 's/.*"samples":\([0-9]*\),"lost":[0-9]*,"truncated_samples":\([0-9]*\).*/\1 \2/p' "$1" |
		head -n 1 | awk '$1 > 0 { printf "%.1f", 100 * $2 / $1 }'
}

pt_proftop "$PT_WORK/plain.json" report --format json -- "$w" "$count" 4
pt_eq "without --latency: exit status" "$PT_RC" 0
# A report with --latency shows the latencies; the profile of the same run
# is read back from its session.
pt_proftop "$PT_WORK/lat.json" report --format json --calls-budget 100 --latency mid,guard,hop \
	--save "$PT_WORK/lat.db" -- "$w" "$count" 4
if grep -q "cannot count calls" "$PT_WORK/lat.json.err"; then
	pt_skip "uprobes do not work here: $(head -n 1 "$PT_WORK/lat.json.err")"
fi
pt_eq "with --latency mid,guard,hop: exit status" "$PT_RC" 0
if [ -s "$PT_WORK/lat.json.err" ]; then
	echo "# stderr of the --latency run:"
	sed 's/^/#   /' "$PT_WORK/lat.json.err"
fi

pt_proftop "$PT_WORK/prof.json" report --format json -i "$PT_WORK/lat.db"
pt_eq "the session's report: exit status" "$PT_RC" 0

trunc0=$(truncated "$PT_WORK/plain.json")
pt_le "truncated stacks (%) with --latency mid,guard,hop, against $trunc0 without" \
	"$(truncated "$PT_WORK/prof.json")" "$(awk -v t="$trunc0" 'BEGIN { print t + 5 }')"
for fn in main outer mid; do
	base=$(json "$PT_WORK/plain.json" "$fn" total_pct)
	pt_num "$base" || base=100
	pt_ge "$fn total_pct with --latency mid,guard,hop, against $base without" \
		"$(json "$PT_WORK/prof.json" "$fn" total_pct)" "$(awk -v b="$base" 'BEGIN { print b - 5 }')"
done
# A sample taken while the kernel steps over a probed `ret` stops in the
# "[uprobes]" page: the probes' own time, a fraction of a percent. Before,
# every sample inside mid had that frame.
up=$(json "$PT_WORK/prof.json" '\[uprobes\]' total_pct)
pt_le "[uprobes] total_pct (the probes' own time)" "${up:-0}" 5

pt_eq "mid: calls timed" "$(json "$PT_WORK/lat.json" mid calls)" "$count"
own=$(sed -n 's/^mid median \([0-9.]*\)$/\1/p' "$PT_WORK/lat.json")
pt_ge "mid: the program's own median (s)" "$own" 0.004
pt_near "mid: median (s), against the program's own" "$(json "$PT_WORK/lat.json" mid median_s)" \
	"$own" "$(awk -v m="$own" 'BEGIN { printf "%.6f", m * 0.05 }')"
pt_eq "guard: calls timed (21 of them return from guard.cold)" \
	"$(json "$PT_WORK/lat.json" guard calls)" "$count"
pt_eq "hop: calls timed (a uretprobe)" "$(json "$PT_WORK/lat.json" hop calls)" "$count"
if grep -q "cannot find where hop returns (no return instruction, it ends in 1 tail call); timing it with a uretprobe" \
	"$PT_WORK/lat.json.err"; then
	pt_ok "stderr says hop is timed with a uretprobe"
else
	pt_fail "expected stderr to say hop is timed with a uretprobe (1 tail call), saw:"
	sed 's/^/#   /' "$PT_WORK/lat.json.err"
fi
pt_eq "mid: stopped over the budget" "$(json "$PT_WORK/lat.json" mid stopped)" false
pt_finish
