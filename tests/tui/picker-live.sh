#!/bin/bash
# The picker as htop shows processes: it rescans on its own about once a
# second with no target at all (no samples to wake it), shows CPU% as the
# change of utime+stime between scans, busiest first, lists a process
# started after it opened, and every printable key types into the filter
# (a name that starts with q), while F10 / Esc on an empty filter quit.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
forever=$(pt_workload forever)

# Names no other process has: a busy one, one started later, a q name.
busy=pkbz$$
late=pklt$$
qname=qpk$$
for n in $busy $late $qname; do cp "$forever" "$PT_WORK/$n"; done
"$PT_WORK/$busy" >/dev/null &
bpid=$!
pt_track "$bpid"

# The picker's rows: "PID USER S CPU% RSS THR COMMAND", in screen order.
rows()
{
	tui_screen | awk '/PID +USER +S +CPU%/ { on = 1; next } on && NF >= 7'
}

# The busy process's own CPU% since t0 from /proc (on a loaded machine it
# gets less than a core): the picker must show at least half of it, and
# 50 when it had a core to itself.
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$bpid/stat"; }
now() { date +%s.%N; }
t0=$(now)
k0=$(ticks)
hz=$(getconf CLK_TCK)
expect_cpu()
{
	awk -v k0="$k0" -v k1="$(ticks)" -v t0="$t0" -v t1="$(now)" -v hz="$hz" 'BEGIN {
		m = 100 * (k1 - k0) / hz / (t1 - t0); e = m / 2; if (e > 50) e = 50
		printf "%.1f %.1f\n", e, m }'
}

# busy_row SECONDS: until the busy process shows in the first 5 rows (10 on
# a loaded machine) with CPU% above what it gets; echoes its row.
busy_row()
{
	local i e m
	for i in $(seq 1 $(($1 * 10))); do
		read -r e m <<<"$(expect_cpu)"
		rows | awk -v n="$busy" -v e="$e" -v m="$m" -v top=$(awk -v m="$m" 'BEGIN { print (m > 80 ? 5 : 10) }') \
			'NR <= top && $7 ~ n && $4 + 0 > e { print NR ": " $0 " (its own CPU% since the start: " m ", at least " e " expected)"; f = 1 }
			END { exit !f }' && return 0
		sleep 0.1
	done
	echo "$e $m"
	return 1
}

tui_start 120 30 --no-color
tui_wait "the picker opens without a target" 'Pick a process to profile' 10 || pt_finish
tui_wait "with a state column" 'PID +USER +S +CPU% +RSS +THR +COMMAND' 2
if row=$(busy_row 5); then
	pt_ok "the busy process is near the top with its CPU%: row $row"
else
	read -r e m <<<"$row"
	pt_fail "expected $busy (pid $bpid, spinning, $m% of a CPU by /proc) near the top with CPU% > $e within 5 s; the rows:"
	rows | head -n 8 | sed 's/^/#   |/'
fi
# Busiest first: the CPU% column never grows down the list.
order=$(rows | awk '{ c = $4 + 0 } NR > 1 && c > prev + 0.05 { print "row " NR ": " c " after " prev; exit } { prev = c }')
pt_eq "rows sorted by CPU%, busiest first (a row above its predecessor)" "$order" ""
# A state letter per row, R for the spinning one.
st=$(rows | awk -v n="$busy" '$7 ~ n { print $3; exit }')
pt_eq "state of the spinning process" "$st" R

"$PT_WORK/$late" >/dev/null &
lpid=$!
pt_track "$lpid"
tui_keys "$late"
tui_wait "a process started after the picker opened is listed within 3 s" \
	"^ *$lpid +[a-z0-9]+ +[RSD] .*$late" 3

# q types: a name that starts with q is found, proftop does not quit.
tui_keys C-u
tui_wait "^U clears the filter" 'Pick a process to profile: [0-9]+ shown +' 5
"$PT_WORK/$qname" >/dev/null &
qpid=$!
pt_track "$qpid"
tui_keys "$qname"
tui_wait "q went into the filter" "filter \"$qname\"" 5
tui_wait "the q process is found" "^ *$qpid .*$qname" 3
pt_eq "proftop still runs after q" "$( [ -f "$PT_WORK/rc" ] && echo exited || echo running)" running
tui_keys Escape
tui_wait "Esc clears the filter" 'Pick a process to profile: [0-9]+ shown +' 5
tui_keys Escape
tui_wait_exit 10
pt_eq "Esc on an empty filter with no target quits: exit status" "$TUI_RC" 0
tui_check_restored
pt_finish
