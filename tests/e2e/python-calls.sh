#!/bin/bash
# --calls and --latency on Python functions, through the USDT markers of
# Debian's /usr/bin/python3.11: exact counts (a plain function, a recursive
# one, one called from two threads) on an attached interpreter; --latency
# on a launched one, and counts there (lower bounds); the semaphores proftop
# raises are back to 0 when it ends, after -d and after a SIGTERM; an
# interpreter without markers gets one line saying so.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
py=/usr/bin/python3.11
wl="${top_srcdir:-$(dirname "$0")/../..}/tests/workloads/pycalls.py"
[ -x "$py" ] || pt_skip "$py is not installed (Debian's python3.11 carries USDT markers)"
command -v readelf >/dev/null || pt_skip "readelf (binutils) is not installed"
notes=$(readelf -n "$py" 2>/dev/null)
grep -q "Name: function__entry" <<<"$notes" ||
	pt_skip "$py has no USDT markers (not built --with-dtrace)"
# The semaphores: a count raises function__return's, a latency also
# python:line's (last): the workload waits until it sees them raised.
semaphore()
{
	grep -A2 "Name: $1\$" <<<"$notes" | sed -n 's/.*Semaphore: \(0x[0-9a-f]*\).*/\1/p'
}
ret_sem=$(semaphore function__return)
line_sem=$(semaphore line)
load0=$(readelf -lW "$py" | awk '$1 == "LOAD" { print $3; exit }')
[ -n "$ret_sem" ] && [ -n "$line_sem" ] && [ -n "$load0" ] ||
	pt_skip "cannot read the USDT semaphores of $py"
echo "# $py: semaphores function__return $ret_sem, line $line_sem; first LOAD at $load0"

need_uprobes()
{
	if grep -q "cannot count calls" "$1.err"; then
		pt_skip "uprobes do not work here: $(grep "cannot count calls" "$1.err" | head -n 1)"
	fi
}

# sem_of PID SEM: the semaphore's value in PID, read from /proc/PID/mem.
sem_of()
{
	local base addr sem=$2
	base=$(awk -v exe="$(readlink -f "$py")" '$6 == exe && $3 == "00000000" {
		split($1, r, "-"); print r[1]; exit }' "/proc/$1/maps")
	[ -n "$base" ] || return 1
	addr=$((sem + 0x$base - load0))
	dd if="/proc/$1/mem" bs=1 skip="$addr" count=2 2>/dev/null | od -An -tu2 | tr -d ' '
}

# calls_csv FILE FUNCTION: the calls column of FUNCTION's row.
calls_csv()
{
	awk -F, -v fn="$2" '$1 == fn && $2 == "[python]" { print $11; exit }' "$1"
}

# 1. Attached: every call counted, from the main thread and two others.
N=12345
# Three functions counted: each raises the return marker's semaphore once,
# as its probes are in place; the workload starts when all three are.
"$py" "$wl" calls "$N" "$ret_sem" "$load0" 3 >"$PT_WORK/calls.out" 2>"$PT_WORK/calls.err" &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$py" 0
pt_proftop "$PT_WORK/calls.csv" report --format csv --limit 0 --calls py:f,rec,pycalls.py:g \
	--calls-budget 100 -p "$pid"
need_uprobes "$PT_WORK/calls.csv"
wait "$pid"
pt_eq "the workload ran every call (exit status)" "$?" 0
pt_eq "proftop exit status" "$PT_RC" 0
pt_eq "f (py:f): calls" "$(calls_csv "$PT_WORK/calls.csv" f)" "$N"
pt_eq "rec (a plain name, recursive: 10 x 200): calls" "$(calls_csv "$PT_WORK/calls.csv" rec)" 2000
pt_eq "g (pycalls.py:g, from two threads): calls" "$(calls_csv "$PT_WORK/calls.csv" g)" 7000
line=$(grep -n "^def f(" "$wl" | cut -d: -f1)
row=$(awk -F, '$1 == "f" && $2 == "[python]" { print $3 ":" $4; exit }' "$PT_WORK/calls.csv")
pt_eq "f: file and line (its def)" "$row" "$(readlink -f "$wl"):$line"
if [ -s "$PT_WORK/calls.csv.err" ]; then
	echo "# proftop said:"
	sed 's/^/#   /' "$PT_WORK/calls.csv.err"
fi

# 2. Launched: the semaphore is raised once the interpreter is mapped, so
# the counts are lower bounds (here every call, as the workload waits).
pt_proftop "$PT_WORK/launch.json" report --format json --limit 0 --calls py:f --calls-budget 100 \
	-- "$py" "$wl" calls 1000 "$ret_sem" "$load0"
pt_eq "launched: proftop exit status" "$PT_RC" 0
pt_eq "launched: f's calls, a lower bound" \
	"$(grep -o '{"function":"f","module":"\[python\]"[^}]*}' "$PT_WORK/launch.json" |
		sed -n 's/.*"calls":\([0-9]*\),"calls_lower_bound":\([a-z]*\).*/\1 \2/p')" "1000 true"

# 3. Launched, --latency: nap() sleeps 30 ms, 5 times.
pt_proftop "$PT_WORK/lat.csv" report --format csv --latency py:nap --calls-budget 100 \
	-- "$py" "$wl" nap 5 "$line_sem" "$load0"
pt_eq "latency: proftop exit status" "$PT_RC" 0
pt_eq "latency: nap's calls" "$(awk -F, '$1 == "nap" { print $3; exit }' "$PT_WORK/lat.csv")" 5
pt_ge "latency: nap's shortest call (s)" \
	"$(awk -F, '$1 == "nap" { print $6; exit }' "$PT_WORK/lat.csv")" 0.030

# 4. The semaphores go back to 0: after -d (a count: function__return's),
# and after a SIGTERM (a latency: python:line's too). A count leaves the
# line semaphore alone (it would slow every instruction down).
for how in duration sigterm; do
	"$py" "$wl" loop 0 "$line_sem" "$load0" >"$PT_WORK/loop-$how.out" 2>&1 &
	pid=$!
	pt_track "$pid"
	pt_wait_running "$pid" "$py" 0
	if [ "$how" = duration ]; then
		"$PROFTOP" report --format csv --calls py:f -d 2 -p "$pid" >"$PT_WORK/$how.csv" \
			2>"$PT_WORK/$how.csv.err" &
		sem=$ret_sem
	else
		"$PROFTOP" report --format csv --latency py:f --calls-budget 100 -p "$pid" \
			>"$PT_WORK/$how.csv" 2>"$PT_WORK/$how.csv.err" &
		sem=$line_sem
	fi
	ppid=$!
	pt_track "$ppid"
	for _ in $(seq 300); do
		[ "$(sem_of "$pid" "$sem")" = 1 ] && break
		sleep 0.1
	done
	pt_eq "$how: the semaphore ($sem) while proftop counts" "$(sem_of "$pid" "$sem")" 1
	if [ "$how" = duration ]; then
		pt_eq "$how: the line semaphore while proftop counts" \
			"$(sem_of "$pid" "$line_sem")" 0
	else
		kill -TERM "$ppid"
	fi
	wait "$ppid"
	pt_eq "$how: proftop exit status" "$?" 0
	pt_eq "$how: the semaphore ($sem) after proftop ended" "$(sem_of "$pid" "$sem")" 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done

# 5. An interpreter without markers (pyenv builds them without --with-dtrace):
# one line says so, and the profile goes on.
other=""
if command -v pyenv >/dev/null; then
	for v in "$(pyenv root)"/versions/3.1[23]*/bin/python3.1[23]; do
		[ -x "$v" ] && ! readelf -n "$v" 2>/dev/null | grep -q function__entry && other=$v
	done
fi
if [ -n "$other" ]; then
	pt_proftop "$PT_WORK/other.csv" report --format csv --calls py:f -- "$other" -c "pass"
	pt_eq "$other: proftop exit status" "$PT_RC" 0
	pt_one_line "$other" "$PT_WORK/other.csv.err"
	if grep -q "no USDT markers in this interpreter" "$PT_WORK/other.csv.err"; then
		pt_ok "$other: the line says the interpreter has no USDT markers"
	else
		pt_fail "$other: expected 'no USDT markers in this interpreter' on stderr"
	fi
else
	echo "# no CPython 3.12 or 3.13 without USDT markers under pyenv: not checked"
fi
pt_finish
