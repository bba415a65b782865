#!/bin/bash
# Where perf_event_open is refused (here by a seccomp filter that the
# no-perf helper installs before exec), --backend auto falls back to ptrace,
# says so in one line, and its profile agrees with the perf backend's
# within a few points; --backend perf refuses in one line, exit status 1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares)
np=$top_builddir/tests/helpers/no-perf
[ -x "$np" ] || pt_skip "$np not built (make check builds it)"
"$np" true || pt_skip "the no-perf helper cannot install its seccomp filter here"
PT_TIMEOUT=60

# proftop under the filter, for pt_report and pt_proftop.
cat >"$PT_WORK/proftop-no-perf" <<EOS
#!/bin/sh
exec "$np" "$PROFTOP" "\$@"
EOS
chmod +x "$PT_WORK/proftop-no-perf"
real=$PROFTOP

# Both against the workload's truth (60/30/10), not one against the other
# (two runs' spreads add up: 5 points apart was 1.6 standard deviations),
# over ~3.4 s of CPU each.
pt_report "$PT_WORK/perf.csv" --backend perf -F 499 -- "$w" 2 || pt_finish
PROFTOP=$PT_WORK/proftop-no-perf
pt_report "$PT_WORK/auto.csv" -F 499 -- "$w" 2 || pt_finish
notes=$(grep '^proftop:' "$PT_WORK/auto.csv.err")
case $notes in
"proftop: perf_event_open refused ("*"); falling back to the ptrace backend (slower, 99 Hz default)")
	pt_ok "one notice line: $notes" ;;
*) pt_fail "expected one line 'perf_event_open refused (...); falling back to the ptrace backend (slower, 99 Hz default)', saw '$notes'" ;;
esac
echo "# the perf backend:"
pt_shares "$PT_WORK/perf.csv" 5 work_sixty:60 work_thirty:30 work_ten:10
echo "# the ptrace fallback:"
pt_shares "$PT_WORK/auto.csv" 5 work_sixty:60 work_thirty:30 work_ten:10

pt_proftop "$PT_WORK/auto.txt" report --limit 1 -- "$w" 0.2
case $(grep -m1 ' samples ' "$PT_WORK/auto.txt") in
*"at 99 Hz, ptrace backend"*) pt_ok "the header says: ptrace backend at 99 Hz" ;;
*) pt_fail "expected 'at 99 Hz, ptrace backend' in the header, saw '$(grep -m1 ' samples ' "$PT_WORK/auto.txt")'" ;;
esac

# --backend perf never falls back (pt_proftop would take this for a skip).
echo "# no-perf proftop report --backend perf -- true"
timeout -k 5 "$PT_TIMEOUT" "$np" "$real" report --backend perf -- true >"$PT_WORK/perf-only" \
	2>"$PT_WORK/perf-only.err"
pt_eq "--backend perf under the filter: exit status" "$?" 1
pt_one_line "--backend perf under the filter" "$PT_WORK/perf-only.err"
if grep -q 'falling back' "$PT_WORK/perf-only.err"; then
	pt_fail "--backend perf must not fall back"
else
	pt_ok "--backend perf did not fall back"
fi
pt_finish
