#!/bin/bash
# What proftop reads, and standard output:
# - report -i, export -i and --baseline on a FIFO: refused at once (one
#   line, exit 1), never a hang;
# - reading a session leaves nothing beside it: no -wal or -shm (even for a
#   WAL-mode file), and a -journal proftop did not create stays;
# - export without -o writes to standard output, and a reader that went
#   away ends report and export quietly, as GNU tools do (status 141).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=20 # the old code waited on a FIFO forever

command -v sqlite3 >/dev/null 2>&1 || pt_skip "sqlite3 is not installed (it makes a WAL-mode session)"
command -v perl >/dev/null 2>&1 || pt_skip "perl is not installed (it makes a pipe nobody reads)"
shares=$(pt_workload shares)
S=$PT_WORK/s.proftop
pt_proftop "$PT_WORK/rec.out" record -d 1 -o "$S" -- "$shares"
[ "$PT_RC" -eq 0 ] || { pt_fail "record: expected exit status 0, saw $PT_RC: $(head -n 1 "$PT_WORK/rec.out.err")"; pt_finish; }

# 1. A FIFO as the input.
mkfifo "$PT_WORK/fifo"
check_fifo()
{
	local label=$1
	shift
	pt_proftop "$PT_WORK/f" "$@"
	if [ "$PT_RC" -eq 124 ] || [ "$PT_RC" -eq 137 ]; then
		pt_fail "$label: expected a refusal, saw proftop still waiting after ${PT_TIMEOUT}s"
		return
	fi
	pt_eq "$label: exit status" "$PT_RC" 1
	pt_one_line "$label" "$PT_WORK/f.err"
	grep -q "FIFO" "$PT_WORK/f.err" || pt_fail "$label: expected the message to say it is a FIFO"
}
check_fifo "report -i FIFO" report -i "$PT_WORK/fifo"
check_fifo "export -i FIFO" export -i "$PT_WORK/fifo" -f folded -o "$PT_WORK/x.folded"
check_fifo "report --baseline FIFO" report -i "$S" --baseline "$PT_WORK/fifo"

# 2. No side effects beside the session.
ls -A "$PT_WORK" | grep '^s\.proftop' >"$PT_WORK/before"
pt_proftop "$PT_WORK/r1" report -i "$S"
pt_eq "report -i: exit status" "$PT_RC" 0
pt_eq "files beside the session after report -i" "$(ls -A "$PT_WORK" | grep '^s\.proftop' | tr '\n' ' ')" "s.proftop "

cp "$S" "$PT_WORK/wal.proftop"
sqlite3 "$PT_WORK/wal.proftop" "PRAGMA journal_mode = WAL" >/dev/null
rm -f "$PT_WORK/wal.proftop-wal" "$PT_WORK/wal.proftop-shm"
pt_proftop "$PT_WORK/r2" report -i "$PT_WORK/wal.proftop"
pt_eq "report -i of a WAL-mode session: exit status" "$PT_RC" 0
pt_eq "files beside the WAL-mode session after report -i" \
	"$(ls -A "$PT_WORK" | grep '^wal\.proftop' | tr '\n' ' ')" "wal.proftop "

# A -journal that is not SQLite's (someone else's file): left alone.
head -c 4096 /dev/urandom | tr '\0' x >"$PT_WORK/s.proftop-journal"
printf 'J' | dd of="$PT_WORK/s.proftop-journal" conv=notrunc status=none
sum_before=$(cksum <"$PT_WORK/s.proftop-journal")
pt_proftop "$PT_WORK/r3" report -i "$S"
pt_eq "report -i beside a foreign -journal: exit status" "$PT_RC" 0
if [ -f "$PT_WORK/s.proftop-journal" ] && [ "$(cksum <"$PT_WORK/s.proftop-journal")" = "$sum_before" ]; then
	pt_ok "the pre-existing -journal is kept as it was"
else
	pt_fail "expected the pre-existing $PT_WORK/s.proftop-journal kept unchanged; saw: $(ls -l "$PT_WORK/s.proftop-journal" 2>&1)"
fi
pt_proftop "$PT_WORK/x.folded" export -i "$S" -f folded -o "$PT_WORK/x.folded"
pt_eq "export -i beside a foreign -journal: exit status" "$PT_RC" 0
[ -f "$PT_WORK/s.proftop-journal" ] && pt_ok "export kept the -journal too" || pt_fail "export removed $PT_WORK/s.proftop-journal"
rm -f "$PT_WORK/s.proftop-journal"

# 3. Standard output.
"$PROFTOP" export -i "$S" -f folded -o "$PT_WORK/file.folded" 2>"$PT_WORK/e.err"
"$PROFTOP" export -i "$S" -f folded 2>"$PT_WORK/p.err" | cat >"$PT_WORK/pipe.folded"
rc=${PIPESTATUS[0]}
pt_eq "export without -o, into a pipe: exit status" "$rc" 0
if [ -s "$PT_WORK/pipe.folded" ] && cmp -s "$PT_WORK/pipe.folded" "$PT_WORK/file.folded"; then
	pt_ok "export without -o writes what -o FILE writes"
else
	pt_fail "expected export without -o to print $(wc -c <"$PT_WORK/file.folded") bytes like -o FILE, saw $(wc -c <"$PT_WORK/pipe.folded"); stderr: $(head -n 1 "$PT_WORK/p.err")"
fi

# Binary pprof is not written to a terminal (script(1) provides one).
if command -v script >/dev/null 2>&1; then
	timeout -k 5 "$PT_TIMEOUT" script -qec "'$PROFTOP' export -i '$S' -f pprof" /dev/null \
		</dev/null >"$PT_WORK/tty.out" 2>&1
	rc=$?
	pt_eq "export -f pprof to a terminal: exit status" "$rc" 1
	pt_eq "export -f pprof to a terminal: what it printed" "$(tr -d '\r' <"$PT_WORK/tty.out")" \
		"proftop: pprof output is binary; not writing it to a terminal (use -o FILE, or a pipe)"
else
	echo "# script(1) is not installed: pprof to a terminal is not checked"
fi

# closed_pipe ARG...: proftop ARG... with stdout a pipe whose reader is gone.
closed_pipe()
{
	timeout -k 5 "$PT_TIMEOUT" perl -e 'pipe(R, W); close R; open STDOUT, ">&W"; $SIG{PIPE} = "DEFAULT"; exec @ARGV' \
		"$PROFTOP" "$@" 2>"$PT_WORK/cp.err"
}
for args in "export -i $S -f folded" "export -i $S -f pprof" "report -i $S" "report -i $S --format csv"; do
	# shellcheck disable=SC2086 # word splitting intended
	closed_pipe $args
	rc=$?
	pt_eq "proftop $args into a closed pipe: exit status (killed by SIGPIPE)" "$rc" 141
	if [ -s "$PT_WORK/cp.err" ]; then
		pt_fail "proftop $args into a closed pipe: expected nothing on stderr, saw: $(head -n 2 "$PT_WORK/cp.err")"
	else
		pt_ok "proftop $args into a closed pipe: quiet"
	fi
done
"$PROFTOP" report -i "$S" 2>"$PT_WORK/h.err" | head -n 1 >/dev/null
[ -s "$PT_WORK/h.err" ] && pt_fail "report | head -1: expected nothing on stderr, saw: $(head -n 2 "$PT_WORK/h.err")" || pt_ok "report | head -1: quiet"
"$PROFTOP" export -i "$S" -f folded 2>"$PT_WORK/h.err" | head -n 1 >/dev/null
[ -s "$PT_WORK/h.err" ] && pt_fail "export | head -1: expected nothing on stderr, saw: $(head -n 2 "$PT_WORK/h.err")" || pt_ok "export | head -1: quiet"
pt_finish
