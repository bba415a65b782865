#!/bin/bash
# --max-memory in the live view: the header shows the profile's memory
# against the budget ("mem 700K/1.0M"); with -o the file keeps every raw
# sample while memory is folded; -i folds a session within the budget and
# says the same totals; chatty output keeps its newest part.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload threads)
command -v sqlite3 >/dev/null || pt_skip "sqlite3 is not installed (the test reads the session)"
S=$PT_WORK/live.proftop

tui_start 140 30 --no-color -F 20000 -d 8 --max-memory 1M -o "$S" -- "$w" 1000
tui_wait "the header shows memory against the budget" 'mem [0-9.]+[KM]/1\.0M' 10 || pt_finish
tui_wait "the run ends" 'stopped by proftop' 30 || pt_finish
shown=$(tui_screen | sed -n 's/.*samples \([0-9,]*\) .*/\1/p' | head -n 1 | tr -d ,)
tui_screen | grep -E 'samples|mem' | head -n 2 | sed 's/^/# |/'
tui_keys q
tui_wait_exit 20
pt_eq "exit status" "$TUI_RC" 0
folds=$(sqlite3 "$S" "SELECT value FROM meta WHERE key = 'memory_folds'")
rows=$(sqlite3 "$S" "SELECT count(*) FROM samples")
pt_eq "the file's rows = the samples the header counted" "$rows" "$shown"
pt_eq "every row is a raw sample (max count)" "$(sqlite3 "$S" "SELECT max(count) FROM samples")" 1
if [ "$folds" = 0 ]; then
	pt_skip "only $rows samples in 8 s: the log never reached the budget (machine too busy)"
fi
pt_ge "the log was folded in memory (times)" "$folds" 1

# -i within 1M: the same sample count in the header.
tui_tmux kill-server 2>/dev/null
tui_start 200 30 --no-color -i "$S" --max-memory 1M
tui_wait "-i --max-memory: the header shows the budget" 'mem [0-9.]+[KM]/1\.0M' 10 || pt_finish
commas=$(echo "$rows" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
tui_wait "-i --max-memory: the same samples" "samples $commas " 5
tui_keys q
tui_wait_exit 10

# Chatty output past an eighth of the budget: the newest part stays, the
# output view says how much went.
tui_tmux kill-server 2>/dev/null
tui_start 140 30 --no-color --max-memory 1M -- sh -c 'seq 1 100000; exec sleep 60'
tui_keys o
tui_wait "the output view says what was dropped" 'bytes of earlier output dropped\]' 15
tui_wait "the newest line is kept" '^100000 *$' 5
tui_keys q
tui_wait_exit 10
pt_finish
