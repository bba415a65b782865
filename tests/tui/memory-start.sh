#!/bin/bash
# The memory pane's "start" is the target's RSS at exec, before it runs
# (held at its exec: a few pages, before the dynamic loader maps libc): a
# program whose first act is to malloc and touch 50 MiB starts under
# 1 MiB, not at a figure read once it ran (libc loaded, ~1 MiB and more)
# or while it touched its pages. Five runs: a start read late is a race,
# lost now and then.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload memfirst)

for run in 1 2 3 4 5; do
	tui_start 100 30 --no-color -- "$w" 1
	tui_wait "[$run] target ended" 'exited with status 0' 30 || pt_finish
	tui_keys m
	tui_wait "[$run] memory pane open" 'Memory of the target' 5 || pt_finish
	line=$(tui_screen | grep -m1 -oE '(\||│) start .*')
	echo "# [$run] $line"
	kib=$(awk '{ for (i = 1; i < NF; i++) if ($i == "start") {
		v = $(i + 1); u = $(i + 2)
		print u == "B" ? v / 1024 : u == "KiB" ? v : u == "MiB" ? v * 1024 : v * 1048576; exit } }' <<<"$line")
	pt_le "[$run] RSS at the start (KiB), at exec" "${kib:-99999}" 1023
	peak=$(tui_screen | grep -m1 -oE '(\||│) peak .*' | awk '{ print $3 ($4 == "MiB" ? "" : "?") }')
	pt_ge "[$run] RSS peak (MiB): the 50 MiB were seen" "${peak%\?}" 45
	tui_keys q
	tui_wait_exit 10
	pt_eq "[$run] exit status" "$TUI_RC" 0
	tui_tmux kill-server 2>/dev/null
done
pt_finish
