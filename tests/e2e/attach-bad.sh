#!/bin/bash
# -p with a PID that cannot be profiled, with either backend: no such
# process, a zombie, proftop itself, another user's process; with ptrace, a
# process that has a tracer already, and root without CAP_SYS_PTRACE. Each
# gives one line on stderr naming the problem and the fix, exit status 1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload attachee)
PT_TIMEOUT=20

# bad LABEL REGEX ARG...: proftop ARG... exits 1 with one line matching REGEX.
bad()
{
	local label=$1 re=$2
	shift 2
	echo "# proftop $*"
	timeout -k 5 "$PT_TIMEOUT" "$@" >"$PT_WORK/out" 2>"$PT_WORK/out.err"
	pt_eq "$label: exit status" "$?" 1
	pt_one_line "$label" "$PT_WORK/out.err"
	if grep -Eq "$re" "$PT_WORK/out.err"; then
		pt_ok "$label: the message names the problem"
	else
		pt_fail "$label: expected a message matching /$re/, saw: $(head -n 1 "$PT_WORK/out.err")"
	fi
}

# A zombie: a child whose parent (exec'd into sleep) never reaps it.
bash -c 'sleep 0.01 & echo $! >"$0"; exec sleep 30' "$PT_WORK/zombie.pid" &
zparent=$!
pt_track "$zparent"
sleep 0.3
zombie=$(cat "$PT_WORK/zombie.pid")
pt_eq "the zombie's state" "$(pt_proc_state "$zombie" | cut -c1)" Z

"$w" 30 >/dev/null 2>&1 &
victim=$!
pt_track "$victim"

for b in perf ptrace; do
	bad "$b: no such pid" "no process with pid 999999999" \
		"$PROFTOP" report --backend "$b" -p 999999999
	bad "$b: a zombie" "process $zombie is a zombie" \
		"$PROFTOP" report --backend "$b" -p "$zombie"
	# exec: the shell's pid becomes proftop's.
	bad "$b: proftop itself" "is proftop itself" \
		bash -c 'exec "$0" report --backend "$1" -p $$' "$PROFTOP" "$b"
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
		setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$PROFTOP" 2>/dev/null; then
		bad "$b: another user's process" "process $victim belongs to another user" \
			setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$PROFTOP" report --backend "$b" -p "$victim"
	else
		echo "# skipped: another user's process (needs root, setpriv, and $PROFTOP executable by nobody)"
	fi
done
# ptrace only: a process that has a tracer already (strace here), and root
# without CAP_SYS_PTRACE (as in a container without --cap-add SYS_PTRACE).
if command -v strace >/dev/null; then
	strace -o /dev/null -p "$victim" 2>/dev/null &
	tracer=$!
	for _ in $(seq 50); do
		[ "$(pt_proc_state "$victim" | cut -d' ' -f2)" = "$tracer" ] && break
		sleep 0.1
	done
	bad "ptrace: a process traced by another tracer" "already traced by pid $tracer" \
		"$PROFTOP" report --backend ptrace -p "$victim"
	kill "$tracer"
	wait "$tracer" 2>/dev/null
else
	echo "# skipped: a traced process (needs strace)"
fi
if [ "$(id -u)" -eq 0 ] && setpriv --bounding-set -sys_ptrace true 2>/dev/null; then
	bad "ptrace: root without CAP_SYS_PTRACE" "no CAP_SYS_PTRACE.*--cap-add SYS_PTRACE" \
		setpriv --bounding-set -sys_ptrace "$PROFTOP" report --backend ptrace -p "$victim"
else
	echo "# skipped: root without CAP_SYS_PTRACE (needs root and setpriv)"
fi
pt_eq "the other user's process is untouched (State, TracerPid)" \
	"$(pt_proc_state "$victim" | sed 's/^S/R/')" "R 0"
kill "$victim" "$zparent"
wait "$victim" "$zparent" 2>/dev/null
pt_finish
