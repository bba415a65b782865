#!/bin/bash
# The source text a session carries comes only from regular files the
# target's owner could read, read with a bound: proftop runs as root, and a
# program's debug info can name any file (#line). A root-only file named by
# a program running as nobody stays out of the session; a world-readable
# one is kept; a FIFO or /dev/zero named as a source neither hangs the save
# nor makes proftop read without limit.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup

[ "$(id -u)" -eq 0 ] || pt_skip "needs root (the target runs as nobody, proftop as root)"
command -v cc >/dev/null 2>&1 || pt_skip "no C compiler (cc) to build the workload"
command -v setpriv >/dev/null 2>&1 || pt_skip "setpriv is not installed (util-linux)"
command -v sqlite3 >/dev/null 2>&1 || pt_skip "sqlite3 is not installed (it reads the session)"

# A directory nobody can enter, holding a root-only and a public source.
chmod 755 "$PT_WORK"
printf 'one\ntwo\nROOT_ONLY_SECRET_TEXT\nfour\n' >"$PT_WORK/secret.c"
chmod 600 "$PT_WORK/secret.c"
printf 'one\nWORLD_READABLE_TEXT\nthree\n' >"$PT_WORK/public.c"
chmod 644 "$PT_WORK/public.c"
mkfifo "$PT_WORK/fifo.c"

# Each in_*() claims its loop is in another file (the rest of the program
# is in w.c); main runs them for
# argv[1] seconds (forever if 0), the FIFO and /dev/zero ones only when
# argv[2] is given.
cat >"$PT_WORK/w.c" <<EOF
#include <stdlib.h>
#include <time.h>
static volatile unsigned long sink;
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
static void in_secret(void)
{
#line 3 "$PT_WORK/secret.c"
	for (int i = 0; i < 200000; i++) sink += i;
#line 100 "$PT_WORK/w.c"
}
static void in_public(void)
{
#line 2 "$PT_WORK/public.c"
	for (int i = 0; i < 200000; i++) sink += i;
#line 200 "$PT_WORK/w.c"
}
static void in_fifo(void)
{
#line 2 "$PT_WORK/fifo.c"
	for (int i = 0; i < 200000; i++) sink += i;
#line 300 "$PT_WORK/w.c"
}
static void in_zero(void)
{
#line 2 "/dev/zero"
	for (int i = 0; i < 200000; i++) sink += i;
#line 400 "$PT_WORK/w.c"
}
int main(int argc, char **argv)
{
	double d = argc > 1 ? atof(argv[1]) : 0, t0 = now();
	while (d == 0 || now() - t0 < d) {
		in_secret();
		in_public();
		if (argc > 2) {
			in_fifo();
			in_zero();
		}
	}
	return 0;
}
EOF
cc -g -O0 -o "$PT_WORK/w" "$PT_WORK/w.c" || pt_skip "cc could not build the workload"
chmod 755 "$PT_WORK/w"

# sources FILE: the sources table as "file:line:text".
sources()
{
	sqlite3 "$1" "SELECT file || ':' || line || ':' || text FROM sources" ||
		pt_fail "cannot read the sources table of $1"
}

# 1. The target runs as nobody; proftop (root) attaches.
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PT_WORK/w" 0 &
victim=$!
pt_track "$victim"
i=0
while [ "$(readlink "/proc/$victim/exe" 2>/dev/null)" != "$PT_WORK/w" ] && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
pt_eq "the workload runs as" "$(awk '/^Uid:/ { print $5 }' "/proc/$victim/status")" "$(id -u nobody)"
pt_proftop "$PT_WORK/a.out" record -d 1 -p "$victim" -o "$PT_WORK/a.proftop"
kill "$victim" 2>/dev/null
pt_eq "record -p (target as nobody): exit status" "$PT_RC" 0
sources "$PT_WORK/a.proftop" >"$PT_WORK/a.sources"
if grep -q ROOT_ONLY_SECRET_TEXT "$PT_WORK/a.sources"; then
	pt_fail "expected no text of the root-only $PT_WORK/secret.c in the session of a nobody target; saw:"
	grep -F secret.c "$PT_WORK/a.sources" | sed 's/^/#   /'
else
	pt_ok "the root-only source is not in the session"
fi
if grep -q WORLD_READABLE_TEXT "$PT_WORK/a.sources"; then
	pt_ok "the world-readable source is kept"
else
	pt_fail "expected the text of $PT_WORK/public.c in the session; the sources table holds:"
	sed 's/^/#   /' "$PT_WORK/a.sources" | head
fi
pt_eq "owner_uid in the session's meta" \
	"$(sqlite3 "$PT_WORK/a.proftop" "SELECT value FROM meta WHERE key = 'owner_uid'")" "$(id -u nobody)"

# 2. The same program run by root: root can read its own file, so it is kept
# (what the target's owner could read, not what proftop could).
pt_proftop "$PT_WORK/b.out" record -o "$PT_WORK/b.proftop" -- "$PT_WORK/w" 0.5
pt_eq "record as root: exit status" "$PT_RC" 0
if sources "$PT_WORK/b.proftop" | grep -q ROOT_ONLY_SECRET_TEXT; then
	pt_ok "a root target's session keeps root's own source"
else
	pt_fail "expected the text of $PT_WORK/secret.c in the session of a root target"
fi

# 3. The FIFO and /dev/zero as sources: the save finishes, within bounds
# (timeout is the safety net: the old code waited on the FIFO forever, and
# read /dev/zero until memory ran out).
(
	# a sanitizer build reserves terabytes of shadow: no address-space limit there
	ldd "$PROFTOP" 2>/dev/null | grep -q libasan || ulimit -v 4000000
	PT_TIMEOUT=30
	pt_proftop "$PT_WORK/c.out" record -o "$PT_WORK/c.proftop" -- "$PT_WORK/w" 0.5 special
	echo "$PT_RC $PT_SECONDS" >"$PT_WORK/c.rc"
)
read -r rc secs <"$PT_WORK/c.rc"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	pt_fail "record with a FIFO and /dev/zero as sources: timed out after ${secs}s (expected it to finish)"
else
	pt_eq "record with a FIFO and /dev/zero as sources: exit status (${secs}s)" "$rc" 0
	sed 's/^/#   /' "$PT_WORK/c.out.err" | head -n 5
fi
n=$(sqlite3 "$PT_WORK/c.proftop" "SELECT count(*) FROM sources WHERE file = '/dev/zero' OR file LIKE '%fifo.c'" 2>&1)
pt_eq "source lines from the FIFO and /dev/zero" "$n" 0
pt_finish
