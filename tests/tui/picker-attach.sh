#!/bin/bash
# The process picker: proftop with no target lists the processes; typing a
# running workload's name narrows the list to it, Enter attaches and shows
# its hot function, q detaches and the workload runs on (not stopped, not
# traced). A process that is gone when Enter comes (or that the rescan took
# off the list just before): a message, the picker stays.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
forever=$(pt_workload forever)

# A copy under a name no other process has, so that typing it finds one row.
name=pkfv$$
cp "$forever" "$PT_WORK/$name"
"$PT_WORK/$name" >"$PT_WORK/fv.out" &
pid=$!
pt_track "$pid"

tui_start 120 30 --no-color
tui_wait "the picker opens without a target" 'Pick a process to profile' 10 || pt_finish
tui_wait "with its columns" 'PID +USER +S +CPU% +RSS +THR +COMMAND' 2
tui_keys "$name"
tui_wait "typing the name filters to it" "filter \"$name\"" 5
tui_wait "one row: the workload" "^ *$pid +[a-z0-9]+ +[A-Za-z] +[0-9.]+ .*$name" 5 || pt_finish
# (table rows: they start with a pid, and end with the workload's path: a
# grep of this test's own, scanned while it ran, matches the filter too)
rows=$(tui_screen | grep -cE "^ *[0-9]+ .*/$name\$")
pt_eq "rows shown" "$rows" 1
[ "$rows" = 1 ] || tui_screen | sed 's/^/#   |/'
tui_keys Enter
tui_wait "attached: the header names the pid" "pid $pid +running \\(attached\\)" 10 || pt_finish
tui_keys 2
tui_wait_first "its hot function" spin_forever 10
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
sleep 0.3
state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
tracer=$(awk '/^TracerPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
case $state in
R | S) pt_ok "the workload still runs: state $state" ;;
*) pt_fail "expected the workload running (R or S) after q, saw state '${state:-gone}'" ;;
esac
pt_eq "not traced (TracerPid)" "$tracer" 0
tui_tmux kill-server 2>/dev/null

# A process gone between the list and Enter.
cp "$forever" "$PT_WORK/pkgn$$"
"$PT_WORK/pkgn$$" >/dev/null &
gone=$!
pt_track "$gone"
tui_start 120 30 --no-color
tui_wait "picker again" 'Pick a process to profile' 10 || pt_finish
tui_keys "pkgn$$"
tui_wait "the doomed one listed alone" "^ *$gone .*pkgn$$" 5 || pt_finish
kill -9 "$gone"
wait "$gone" 2>/dev/null
tui_keys Enter
# the list rescans every second: the Enter finds it gone, or the row already left
tui_wait "an error message, not an exit" "$gone|no such process|not exist|gone|exited|no process selected" 5
echo "# the message: $(tui_screen | tail -n 1)"
tui_wait "the picker stays" 'Pick a process to profile' 2
# q types into the filter (names have q's): Esc clears it, then F10 quits
tui_keys Escape
tui_wait "Esc clears the filter" 'Pick a process to profile: [0-9]+ shown +' 5
tui_keys F10
tui_wait_exit 10
pt_eq "F10 quits from the picker: exit status" "$TUI_RC" 0
tui_check_restored
pt_finish
