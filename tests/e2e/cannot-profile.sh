#!/bin/bash
# Targets proftop cannot profile get one line naming the cause and the fix
# and exit status 1, never a report of 0 samples: a kernel thread (-p 2);
# as a normal user (nobody, through setpriv), a set-user-ID program and a
# process of one's own that made itself non-dumpable; under a seccomp
# filter refusing perf_event_open, an explicit --backend perf.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=20

# refused LABEL REGEX ARG...: proftop ARG... exits 1 with one line matching REGEX.
refused()
{
	local label=$1 re=$2
	shift 2
	echo "# $*"
	timeout -k 5 "$PT_TIMEOUT" "$@" >"$PT_WORK/out" 2>"$PT_WORK/err"
	pt_eq "$label: exit status" "$?" 1
	pt_one_line "$label" "$PT_WORK/err"
	if grep -Eq "$re" "$PT_WORK/err"; then
		pt_ok "$label: the line says /$re/"
	else
		pt_fail "$label: expected a line matching /$re/, saw '$(cat "$PT_WORK/err")'"
	fi
}

if grep -q kthreadd /proc/2/comm 2>/dev/null; then
	for b in perf ptrace; do
		refused "kernel thread, $b backend" "kernel thread.*perf top" \
			"$PROFTOP" report --backend "$b" -d 0.5 -p 2
	done
else
	echo "# pid 2 is not kthreadd here (a container?): kernel thread case not run"
fi

np=$top_builddir/tests/helpers/no-perf
if [ -x "$np" ] && "$np" true; then
	refused "seccomp refusing perf_event_open, --backend perf" "seccomp.*--backend ptrace" \
		"$np" "$PROFTOP" report --backend perf -- true
fi

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	pt_skip "the normal-user cases need root and setpriv (to become nobody)"
fi
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
chmod 755 "$PT_WORK"
"${nobody[@]}" true || pt_skip "setpriv cannot become nobody here"

cp "$(pt_workload forever)" "$PT_WORK/forever-suid"
chown root:root "$PT_WORK/forever-suid"
chmod 4755 "$PT_WORK/forever-suid"
refused "set-user-ID program launched by nobody" "set-user-ID.*root" \
	"${nobody[@]}" "$PROFTOP" report -- "$PT_WORK/forever-suid"

"${nobody[@]}" "$(pt_workload undumpable)" >"$PT_WORK/undumpable.out" &
pt_track $!
pid=""
for _ in $(seq 50); do
	pid=$(sed -n 's/^undumpable: pid \([0-9]*\)$/\1/p' "$PT_WORK/undumpable.out")
	[ -n "$pid" ] && break
	sleep 0.1
done
[ -n "$pid" ] || pt_fail "the undumpable workload did not start"
pt_track "$pid"
for b in perf ptrace; do
	refused "non-dumpable process of nobody, attached by nobody, $b backend" \
		"not dumpable.*sudo" "${nobody[@]}" "$PROFTOP" report --backend "$b" -d 0.5 -p "$pid"
done
pt_finish
