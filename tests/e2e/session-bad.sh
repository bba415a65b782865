#!/bin/bash
# Bad session files through the command line: each gives exit status 1, one
# line naming the file and what is wrong, and leaves the file as it was.
# Needs no perf: a synthetic session comes from bench/session-bench, the
# broken ones from it and sqlite3.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
good=$PT_WORK/good.proftop
[ -x "$top_builddir/bench/session-bench" ] || pt_skip "bench/session-bench not built"
"$top_builddir/bench/session-bench" 2000 "$good" >/dev/null || pt_fail "session-bench failed"
B=$PT_WORK/bad.proftop

# bad LABEL EXPECTED_REGEX CMD...: proftop CMD... on $B must fail cleanly.
bad()
{
	local label=$1 re=$2 before after
	shift 2
	before=$(md5sum "$B" 2>/dev/null | cut -d" " -f1)
	pt_proftop "$PT_WORK/out" "$@"
	after=$(md5sum "$B" 2>/dev/null | cut -d" " -f1)
	pt_eq "$label: exit status" "$PT_RC" 1
	pt_one_line "$label" "$PT_WORK/out.err"
	if grep -Eq "$re" "$PT_WORK/out.err"; then
		pt_ok "$label: says '$re'"
	else
		pt_fail "$label: expected the message to match '$re', saw: $(cat "$PT_WORK/out.err")"
	fi
	pt_eq "$label: file unchanged" "$after" "$before"
	if [ -s "$PT_WORK/out" ]; then
		pt_fail "$label: expected nothing on stdout, saw: $(head -c 200 "$PT_WORK/out")"
	fi
}

bad "missing file" "cannot open .*missing.proftop: No such file" report -i "$PT_WORK/missing.proftop"
: >"$B"
bad "empty file" "bad.proftop is empty" report -i "$B"
echo "just some text" >"$B"
bad "text file" "not an SQLite database" report -i "$B"
head -c 30000 "$good" >"$B"
bad "truncated session" "bad.proftop is truncated" report -i "$B"
bad "truncated session, export" "bad.proftop is truncated" export -i "$B" -f folded -o "$PT_WORK/x"
[ -e "$PT_WORK/x" ] && pt_fail "export of a bad session left an output file"
bad "truncated baseline" "bad.proftop is truncated" report -i "$good" --baseline "$B"

if command -v sqlite3 >/dev/null; then
	rm -f "$B"
	sqlite3 "$B" "CREATE TABLE notes(text); INSERT INTO notes VALUES ('hi');"
	bad "SQLite, not a session" "an SQLite database but not a proftop session" report -i "$B"
	cp "$good" "$B"
	sqlite3 "$B" "PRAGMA user_version = 7"
	bad "newer schema" "written by a newer proftop \(schema 7\); this one reads up to 1" report -i "$B"
	cp "$good" "$B"
	sqlite3 "$B" "UPDATE samples SET stack = 99999999 WHERE rowid = 3"
	bad "corrupt stack id" "corrupt: samples row 3: stack 99999999 is out of range" report -i "$B"
	cp "$good" "$B"
	sqlite3 "$B" "UPDATE location_lines SET function = -4 WHERE location = 0 AND depth = 0"
	bad "corrupt function id" "corrupt: location_lines row 1: function -4 is out of range" \
		export -i "$B" -f pprof -o "$PT_WORK/x"
else
	echo "# sqlite3 not installed: schema-level cases not checked"
fi

# The good seed still opens (the checks above can pass for the right reason).
pt_proftop "$PT_WORK/good" report -i "$good" --limit 3
pt_eq "the seed session opens" "$PT_RC" 0
pt_finish
