#!/bin/bash
# -o FILE in the TUI: the session is flushed to FILE while the target runs
# (a reader sees it before proftop quits) and saved complete on quit;
# `proftop report -i FILE` reads both.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
forever=$(pt_workload forever)
out=$PT_WORK/live.proftop

tui_start 120 30 --no-color -o "$out" -- "$forever"
tui_wait "sampling forever" 'spin_forever' 10 || pt_finish
for i in $(seq 1 100); do
	[ -s "$out" ] && break
	sleep 0.1
done
if [ -s "$out" ]; then
	pt_ok "the file appears while proftop runs (first flush)"
else
	pt_fail "expected $out to exist within 10 s of the start (flush every 5 s)"
fi
pt_proftop "$PT_WORK/mid" report -i "$out" --format csv --sort tottime --limit 1
pt_eq "report -i of the flushed file" "$PT_RC" 0
grep -q 'unfinished recording' "$PT_WORK/mid.err" && pt_ok "it is marked unfinished" ||
	pt_fail "expected the 'unfinished recording' note, saw: $(cat "$PT_WORK/mid.err")"
grep -q '^spin_forever,' "$PT_WORK/mid" && pt_ok "with spin_forever first" ||
	pt_fail "expected spin_forever on the first row, saw: $(sed -n 2p "$PT_WORK/mid")"
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_proftop "$PT_WORK/end" report -i "$out" --format csv --sort tottime --limit 1
pt_eq "report -i after quit" "$PT_RC" 0
[ ! -s "$PT_WORK/end.err" ] && pt_ok "complete: no note" ||
	pt_fail "expected no message, saw: $(cat "$PT_WORK/end.err")"
self=$(awk -F, '$1 == "spin_forever" { print $7 }' "$PT_WORK/end")
pt_ge "spin_forever's %self" "$self" 85
mid=$(awk -F, 'NR == 2 { print $5 }' "$PT_WORK/mid")
end=$(awk -F, 'NR == 2 { print $5 }' "$PT_WORK/end")
pt_ge "the final save has the samples after the flush too" "$end" "$((mid + 1))"

# A directory that does not exist: refused before the target starts.
tui_tmux kill-server 2>/dev/null
# (a copy under a name of its own, to see that it was not started)
cp "$forever" "$PT_WORK/ofv$$"
tui_start 120 30 -o "$PT_WORK/missing/x.proftop" -- "$PT_WORK/ofv$$"
tui_wait_exit 10
pt_eq "missing directory: exit status" "$TUI_RC" 1
pt_one_line "one line" "$PT_WORK/stderr"
grep -q "$PT_WORK/missing/x.proftop" "$PT_WORK/stderr" && pt_ok "naming the file" ||
	pt_fail "expected the file named, saw: $(cat "$PT_WORK/stderr")"
pgrep -f "ofv$$" >/dev/null && pt_fail "the target was started" || pt_ok "no target started"
pt_finish
