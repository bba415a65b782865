#!/bin/bash
# The thread picker (T): every thread with its name (comm) and its samples,
# the busiest first; worker-a does three times worker-b's work, so ~75% and
# ~25% of the samples; Enter on worker-b restricts the functions to its own.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload threads)

tui_start 120 30 --no-color -- "$w" 1
tui_wait "target ended" 'exited with status 0' 30 || pt_finish
tui_keys T
tui_wait "thread picker" 'Threads: Enter shows only the chosen one \([0-9]+ threads\)' 5 || pt_finish
tui_wait "its columns" 'tid name +process +samples +%samples' 2
screen=$(tui_screen)
echo "$screen" | grep -E 'worker-|all +threads' | sed 's/^/#   /'
first=$(awk '/%samples/ { on = 1; next } on && NF >= 5 && $2 != "all" { print $2; exit }' <<<"$screen")
pt_eq "the busiest thread first" "$first" worker-a
pct() { awk -v n="$1" '$2 == n { v = $NF; sub(/%/, "", v); print v; exit }' <<<"$screen"; }
pt_near "worker-a's share of the samples" "$(pct worker-a)" 75 10
pt_near "worker-b's share of the samples" "$(pct worker-b)" 25 10
a=$(awk '$2 == "worker-a" { gsub(/,/, "", $4); print $4; exit }' <<<"$screen")
pt_ge "worker-a's sample count" "$a" 300
# the cursor onto worker-b (rows are in the order shown)
row=$(awk '/%samples/ { on = 1; next } on && NF >= 5 { n++; if ($2 == "worker-b") { print n; exit } }' <<<"$screen")
tui_keys Home
for i in $(seq 2 "${row:-2}"); do tui_keys Down; done
tui_keys Enter
tui_wait "restricted to worker-b" 'thread [0-9]+ worker-b' 5
tui_keys 2
tui_wait_first "its own hot function" thread_b_work 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
