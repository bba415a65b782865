# Helpers of the export tests (tests/e2e/export-*.sh), sourced after
# tests/lib.sh and pt_setup. Not a test itself.

# ex_need_commands: skip unless this proftop has `record` and `export`
# (they come with saved sessions).
ex_need_commands()
{
	"$PROFTOP" export -i /nonexistent.proftop -f folded -o "$PT_WORK/probe" \
		>"$PT_WORK/probe.out" 2>&1
	if grep -q "not implemented" "$PT_WORK/probe.out"; then
		pt_skip "'proftop export' is not implemented in this build yet: $(head -n 1 "$PT_WORK/probe.out")"
	fi
}

# ex_record: record the shares workload into $EX_SESSION and set
# EX_SAMPLES and EX_CPU_NS from `proftop report -i` on it. Ends the test on
# failure.
ex_record()
{
	local shares
	shares=$(pt_workload shares)
	command -v python3 >/dev/null 2>&1 || pt_skip "python3 is not installed (it reads the JSON report)"
	ex_need_commands
	EX_SESSION=$PT_WORK/shares.proftop
	# (CPU samples: the allocation types are export-memory's; a sampled
	# allocation, by chance, would add them)
	pt_proftop "$PT_WORK/record.out" record --no-alloc -o "$EX_SESSION" -- "$shares"
	if grep -q "not implemented" "$PT_WORK/record.out.err"; then
		pt_skip "'proftop record' is not implemented in this build yet"
	fi
	if [ "$PT_RC" -ne 0 ] || [ ! -s "$EX_SESSION" ]; then
		pt_fail "proftop record: expected exit status 0 and a session file, saw status $PT_RC; stderr:"
		sed 's/^/#   /' "$PT_WORK/record.out.err" | head -n 10
		pt_finish
	fi
	pt_proftop "$PT_WORK/report.json" report -i "$EX_SESSION" --format json
	if [ "$PT_RC" -ne 0 ]; then
		pt_fail "proftop report -i: expected exit status 0, saw $PT_RC: $(head -n 1 "$PT_WORK/report.json.err")"
		pt_finish
	fi
	read -r EX_SAMPLES EX_CPU_NS < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["samples"], round(r["cpu_s"] * 1e9))' "$PT_WORK/report.json")
	if ! pt_num "$EX_SAMPLES" || [ "$EX_SAMPLES" -lt 500 ]; then
		pt_fail "the session's sample count: expected >= 500 (1.7 s at 997 Hz), saw '$EX_SAMPLES'"
		pt_finish
	fi
	echo "# session: $EX_SAMPLES samples, $EX_CPU_NS ns of CPU"
}

# ex_export OUT ARG...: "proftop export -i $EX_SESSION ARG... -o OUT";
# fails the test unless it exits 0, says nothing and writes OUT.
ex_export()
{
	local out=$1
	shift
	pt_proftop "$PT_WORK/export.out" export -i "$EX_SESSION" "$@" -o "$out"
	if [ "$PT_RC" -ne 0 ] || [ ! -s "$out" ] || [ -s "$PT_WORK/export.out.err" ]; then
		pt_fail "proftop export $*: expected status 0, no message and a file; saw status $PT_RC:"
		sed 's/^/#   /' "$PT_WORK/export.out.err" | head -n 10
		pt_finish
	fi
	pt_ok "proftop export $* wrote $(wc -c <"$out") bytes"
}
