#!/bin/bash
# proftop record: the target's output passes through, the session holds the
# known profile, sqlite3 can query it, SIGINT stops and saves, a long
# recording is on disk before it ends and survives proftop being killed,
# and a file that cannot be written fails before the target runs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares)
forever=$(pt_workload forever)
S=$PT_WORK/s.proftop

pt_proftop "$PT_WORK/rec" record -o "$S" -- "$w" 0.5
pt_eq "record exit status" "$PT_RC" 0
[ "$PT_RC" -eq 0 ] || { sed 's/^/#   /' "$PT_WORK/rec.err"; pt_finish; }
pt_eq "target's stdout passes through" "$(grep -c '^shares: done' "$PT_WORK/rec")" 1
if grep -q "samples in .* saved to $S" "$PT_WORK/rec.err"; then
	pt_ok "record says what it saved: $(tail -n 1 "$PT_WORK/rec.err")"
else
	pt_fail "expected 'N samples in T s saved to $S' on stderr; saw:"
	sed 's/^/#   /' "$PT_WORK/rec.err"
fi
pt_report "$PT_WORK/r.csv" -i "$S" || pt_finish
pt_near "work_sixty %self from the session" "$(pt_csv "$PT_WORK/r.csv" work_sixty self_pct)" 60 8
pt_near "work_ten %self from the session" "$(pt_csv "$PT_WORK/r.csv" work_ten self_pct)" 10 5
pt_near "main %total from the session" "$(pt_csv "$PT_WORK/r.csv" main total_pct)" 100 2
if ls "$PT_WORK" | grep -q tmp; then
	pt_fail "expected no temporary file left; saw: $(ls "$PT_WORK")"
else
	pt_ok "no temporary file left beside the session"
fi

# The documented schema answers "the samples of a thread in a time range".
if command -v sqlite3 >/dev/null; then
	q() { sqlite3 "$S" "$1"; }
	tid=$(q "SELECT value FROM meta WHERE key = 'pid'")
	dur=$(q "SELECT value FROM meta WHERE key = 'duration_ns'")
	all=$(q "SELECT count(*) FROM samples WHERE tid = $tid")
	first=$(q "SELECT count(*) FROM samples WHERE tid = $tid AND time < $dur / 2")
	second=$(q "SELECT count(*) FROM samples WHERE tid = $tid AND time >= $dur / 2")
	total=$(q "SELECT count(*) FROM samples")
	pt_ge "samples of thread $tid in the first half" "$first" 1
	pt_ge "samples of thread $tid in the second half" "$second" 1
	pt_eq "the halves add up to the thread's samples" "$((first + second))" "$all"
	pt_eq "the thread's samples are all of them (one thread)" "$all" "$total"
	top=$(q "SELECT function FROM sample_functions GROUP BY function ORDER BY count(*) DESC LIMIT 1")
	pt_eq "the hottest function by the sample_functions view" "$top" work_sixty
	pt_eq "schema version" "$(q 'PRAGMA user_version')" 1
else
	echo "# sqlite3 not installed: schema queries not checked"
fi

# SIGINT stops the recording and saves it; the launched target is stopped.
"$PROFTOP" record -o "$PT_WORK/int.proftop" -- "$forever" >"$PT_WORK/int.out" 2>"$PT_WORK/int.err" &
ppid=$!
pt_track "$ppid"
child=$(pt_wait_child "$ppid")
[ -n "$child" ] && pt_track "$child" && pt_wait_running "$child" "$forever" 30
kill -INT "$ppid"
if ! timeout 20 tail --pid="$ppid" -f /dev/null; then
	pt_fail "proftop record did not stop within 20 s of SIGINT"
fi
wait "$ppid"
pt_eq "record exit status after SIGINT" "$?" 0
grep -Eq "$PT_PERM_RE" "$PT_WORK/int.err" && pt_skip "perf_event_open refused: $(head -n 1 "$PT_WORK/int.err")"
pt_proftop "$PT_WORK/int.txt" report -i "$PT_WORK/int.proftop"
pt_eq "report -i after SIGINT" "$PT_RC" 0
if grep -q "stopped by proftop" "$PT_WORK/int.txt"; then
	pt_ok "the session says proftop stopped the target"
else
	pt_fail "expected 'stopped by proftop' in the report; saw:"
	head -n 4 "$PT_WORK/int.txt" | sed 's/^/#   /'
fi
if [ -n "$child" ] && ! pt_wait_gone "$child" 5; then
	pt_fail "the target $child still runs after record ended"
fi

# A long recording is flushed while it runs (every 5 s): the file opens
# before the end, and it survives proftop being killed.
L=$PT_WORK/long.proftop
"$PROFTOP" record -o "$L" -- "$forever" >/dev/null 2>"$PT_WORK/long.err" &
ppid=$!
pt_track "$ppid"
sleep 0.5
child=$(pgrep -P "$ppid" | head -n 1)
[ -n "$child" ] && pt_track "$child"
for _ in $(seq 1 100); do
	[ -e "$L" ] && break
	sleep 0.1
done
if [ -e "$L" ]; then
	pt_ok "the session file appeared while recording"
else
	pt_fail "expected $L to appear within ~10 s of recording"
fi
pt_proftop "$PT_WORK/mid.csv" report -i "$L" --format csv
pt_eq "report -i of a recording in progress" "$PT_RC" 0
pt_eq "it says the recording is unfinished" "$(grep -c 'unfinished recording' "$PT_WORK/mid.csv.err")" 1
kill -KILL "$ppid"
wait "$ppid" 2>/dev/null
pt_proftop "$PT_WORK/dead.csv" report -i "$L" --format csv
pt_eq "report -i after proftop was killed" "$PT_RC" 0
pt_ge "samples kept from before the kill" \
	"$(pt_csv "$PT_WORK/dead.csv" main total_samples)" 100
[ -n "$child" ] && kill -KILL "$child" 2>/dev/null

# A file that cannot be written: one line, exit 1, and the target never ran.
pt_proftop "$PT_WORK/nodir" record -o "$PT_WORK/missing/x.proftop" -- \
	sh -c "touch '$PT_WORK/ran'"
pt_eq "record to a missing directory: exit status" "$PT_RC" 1
pt_one_line "record to a missing directory" "$PT_WORK/nodir.err"
if grep -q "No such file or directory" "$PT_WORK/nodir.err"; then
	pt_ok "the error names the cause"
else
	pt_fail "expected 'No such file or directory' in: $(cat "$PT_WORK/nodir.err")"
fi
if [ -e "$PT_WORK/ran" ]; then
	pt_fail "the target ran although the session could not be written"
else
	pt_ok "the target was not started"
fi

# A full disk at the end, as a file size limit: one line, exit 1, no file
# and no temporary file left behind.
mkdir "$PT_WORK/full"
(
	ulimit -f 64 # 65536 bytes: room for the empty tables (16 pages), not for the samples
	exec "$PROFTOP" record -d 2 -o "$PT_WORK/full/x.proftop" -- "$forever"
) >/dev/null 2>"$PT_WORK/full.err"
pt_eq "record over the file size limit: exit status" "$?" 1
pt_one_line "record over the file size limit" "$PT_WORK/full.err"
if grep -q "File too large" "$PT_WORK/full.err"; then
	pt_ok "the error names the cause"
else
	pt_fail "expected 'File too large' in: $(cat "$PT_WORK/full.err")"
fi
pt_eq "nothing left in the directory" "$(ls -A "$PT_WORK/full")" ""
pt_finish
