#!/bin/bash
# A target in its own mount namespace (a container, as far as files go):
# its binary lives on a tmpfs mounted only inside the namespace, so the
# path it runs from holds nothing on the host, or another program. proftop
# reads the binary through /proc/PID/root, so the container's functions
# are named with their shares, launched (report -- unshare ...) and
# attached (-p) alike; a stripped container binary is named through the
# host's debug file of the same build id; a container process that exits
# while attached ends the run with what was collected; one of two attached
# killed, profiling goes on with the other.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
cc=${CC:-cc}
[ "$(id -u)" -eq 0 ] || pt_skip "needs root (mount in a new mount namespace, /usr/lib/debug)"
command -v "$cc" >/dev/null || pt_skip "no C compiler ($cc) to build the test program"
command -v objcopy >/dev/null || pt_skip "no objcopy (binutils) to split the debug info"
command -v unshare >/dev/null || pt_skip "no unshare (util-linux)"
mkdir -p "$PT_WORK/app"
if ! unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs "$1"' sh "$PT_WORK/app" \
	>"$PT_WORK/unshare.err" 2>&1; then
	pt_skip "cannot mount in a new mount namespace: $(head -n 1 "$PT_WORK/unshare.err")"
fi

# The debug file this test installs by build id, removed at exit.
debug_installed=""
container_cleanup()
{
	[ -n "$debug_installed" ] && rm -f "$debug_installed" &&
		rmdir "$(dirname "$debug_installed")" 2>/dev/null
	pt_cleanup
}
trap container_cleanup EXIT

cat >"$PT_WORK/spin.c" <<'EOF'
#include <stdlib.h>
#include <time.h>

/* The work directory's name: a build id of this run's own. */
__attribute__((used)) static const char tag[] = TAG;
static volatile unsigned long sink;

__attribute__((noinline)) void container_hot(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += (i * i) ^ (sink >> 3);
}

__attribute__((noinline)) void container_warm(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += (i * i) ^ (sink >> 3);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Runs SECONDS (forever without). */
int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0, t0 = now();

	for (;;) {
		container_hot(300000);
		container_warm(100000);
		if (secs > 0 && now() - t0 >= secs)
			return 0;
	}
}
EOF
cat >"$PT_WORK/decoy.c" <<'EOF'
static volatile unsigned long sink;

__attribute__((noinline)) void host_decoy(void)
{
	for (unsigned long i = 0; i < 1000; i++)
		sink += i;
}

int main(void)
{
	host_decoy();
	return 0;
}
EOF
if ! "$cc" -O1 -g -DTAG="\"$PT_WORK\"" -o "$PT_WORK/spin" "$PT_WORK/spin.c" 2>"$PT_WORK/cc.err" ||
	! "$cc" -O1 -g -o "$PT_WORK/decoy" "$PT_WORK/decoy.c" 2>>"$PT_WORK/cc.err"; then
	pt_skip "cannot build the test programs: $(head -n 1 "$PT_WORK/cc.err")"
fi
(cd "$PT_WORK" && objcopy --only-keep-debug spin spin.debug &&
	objcopy --strip-all spin spin.stripped) || pt_skip "objcopy could not split the debug info"
build_id=$(readelf -n "$PT_WORK/spin" 2>/dev/null | awk '/Build ID/ { print $3 }')

# container APP PROGRAM SECONDS [DIR]: run PROGRAM as APP/spin in a new
# mount namespace, APP a tmpfs mounted there only, DIR's files copied there
# too (every step an exec: one pid).
cat >"$PT_WORK/container" <<'EOF'
#!/bin/sh
exec unshare -m --propagation private sh -c \
	'mount -t tmpfs tmpfs "$1" && cp "$2" "$1/spin" && { [ -z "$4" ] || cp -r "$4/." "$1/"; } &&
	exec "$1/spin" "$3"' sh "$@"
EOF
chmod +x "$PT_WORK/container"
# check_names LABEL CSV: the container's functions with their shares (3:1
# between them, whatever share the namespace's set-up took), and main
# above both: stacks unwind through the container's binary.
check_names()
{
	local hot warm main
	hot=$(pt_csv "$2" container_hot self_pct)
	warm=$(pt_csv "$2" container_warm self_pct)
	main=$(pt_csv "$2" main total_pct)
	if pt_num "$hot" && pt_num "$warm" && pt_num "$main"; then
		pt_near "$1: container_hot's part of the work (%)" \
			"$(awk -v h="$hot" -v w="$warm" 'BEGIN { printf "%.1f", 100 * h / (h + w) }')" 75 12
		pt_ge "$1: main's total % (unwound through the container's binary), $hot + $warm" \
			"$main" "$(awk -v h="$hot" -v w="$warm" 'BEGIN { printf "%.1f", 0.9 * (h + w) }')"
	else
		pt_fail "$1: expected container_hot, container_warm and main in the report, saw:"
		sed 's/^/#   /' "$2" | head -n 10
	fi
	if grep -q 'host_decoy' "$2"; then
		pt_fail "$1: the host's file at the same path was read (host_decoy in the report)"
	fi
}

# check_calls LABEL CSV: --calls container_warm counted its calls (a uprobe
# on the container's file, through /proc/PID/root).
check_calls()
{
	local calls
	if grep -q "cannot count calls" "$2.err"; then
		echo "# $1: uprobes do not work here: $(grep "cannot count calls" "$2.err" | head -n 1)"
		return 0
	fi
	calls=$(pt_csv "$2" container_warm calls)
	pt_ge "$1: --calls container_warm (one call a round)" "$calls" 1
}

# 1. Launched: the program execs inside the namespace.
pt_report "$PT_WORK/launch.csv" -d 2 --calls container_warm -- "$PT_WORK/container" "$PT_WORK/app" \
	"$PT_WORK/spin" 0
if [ -e "$PT_WORK/app/spin" ]; then
	pt_fail "the test's premise: $PT_WORK/app/spin must not exist on the host"
fi
check_names "launched" "$PT_WORK/launch.csv"
check_calls launched "$PT_WORK/launch.csv"

# wait_container PID: until PID runs APP/spin inside its namespace.
wait_container()
{
	local i
	for i in $(seq 1 200); do
		[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$PT_WORK/app/spin" ] && return 0
		sleep 0.05
	done
	pt_fail "expected pid $1 running $PT_WORK/app/spin within 10 s, saw $(readlink "/proc/$1/exe")"
	return 1
}

# 2. Attached from the host, another program at the same path on the host.
cp "$PT_WORK/decoy" "$PT_WORK/app/spin"
"$PT_WORK/container" "$PT_WORK/app" "$PT_WORK/spin" 0 &
pid=$!
pt_track "$pid"
if wait_container "$pid"; then
	pt_report "$PT_WORK/attach.csv" -d 2 --calls container_warm -p "$pid" &&
		check_names "attached" "$PT_WORK/attach.csv" &&
		check_calls "attached" "$PT_WORK/attach.csv"
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -f "$PT_WORK/app/spin"

# 2b. Deleted inside the container once running: read through map_files;
# --calls top:1 probes the hottest function in that file.
if command -v nsenter >/dev/null; then
	"$PT_WORK/container" "$PT_WORK/app" "$PT_WORK/spin" 0 &
	pid=$!
	pt_track "$pid"
	if wait_container "$pid" && nsenter -t "$pid" -m rm "$PT_WORK/app/spin"; then
		# top:N chooses after a second of samples: time to count after.
		pt_report "$PT_WORK/deleted.csv" -d 4 --calls top:1 -p "$pid" &&
			check_names "deleted in the container" "$PT_WORK/deleted.csv" &&
			pt_ge "deleted in the container: --calls top:1 counts container_hot" \
				"$(pt_csv "$PT_WORK/deleted.csv" container_hot calls)" 1
	else
		pt_fail "could not delete $PT_WORK/app/spin inside pid $pid's mount namespace"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
else
	echo "# no nsenter (util-linux): the deleted-file case is left out"
fi

# 3. Stripped in the container: no names, until the host has its debug
# file under /usr/lib/debug/.build-id.
pt_report "$PT_WORK/stripped.csv" -d 1 -- "$PT_WORK/container" "$PT_WORK/app" \
	"$PT_WORK/spin.stripped" 0
if grep -q 'container_hot' "$PT_WORK/stripped.csv"; then
	pt_fail "the test's premise: the stripped binary is named without a debug file"
else
	pt_ok "stripped, no debug file: no container_hot (as expected)"
fi
if [ -z "$build_id" ]; then
	pt_fail "expected a build id in $PT_WORK/spin (readelf -n)"
elif [ -e "/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug" ]; then
	pt_fail "a debug file for build id $build_id is installed already"
else
	debug_installed=/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug
	mkdir -p "$(dirname "$debug_installed")"
	cp "$PT_WORK/spin.debug" "$debug_installed"
	pt_report "$PT_WORK/debug.csv" -d 2 -- "$PT_WORK/container" "$PT_WORK/app" \
		"$PT_WORK/spin.stripped" 0 &&
		check_names "stripped, host debug file by build id" "$PT_WORK/debug.csv"
fi

# 4. Stripped, its debug file found by .gnu_debuglink beside it inside the
# container (APP/.debug/spin.debug), the host has none.
mkdir -p "$PT_WORK/link/.debug"
if "$cc" -O1 -g -Wl,--build-id=none -DTAG="\"$PT_WORK/link\"" -o "$PT_WORK/link.full" \
	"$PT_WORK/spin.c" 2>"$PT_WORK/cc.err" &&
	objcopy --only-keep-debug "$PT_WORK/link.full" "$PT_WORK/link/.debug/spin.debug" &&
	objcopy --strip-all "$PT_WORK/link.full" "$PT_WORK/link.stripped" &&
	(cd "$PT_WORK/link" && objcopy --add-gnu-debuglink=.debug/spin.debug ../link.stripped); then
	pt_report "$PT_WORK/debuglink.csv" -d 2 -- "$PT_WORK/container" "$PT_WORK/app" \
		"$PT_WORK/link.stripped" 0 "$PT_WORK/link" &&
		check_names "stripped, debug file by debuglink inside the container" \
			"$PT_WORK/debuglink.csv"
else
	pt_fail "could not build the debuglink program: $(head -n 1 "$PT_WORK/cc.err")"
fi

# 5. A container process that exits while attached: the run ends with
# what was collected, proftop exits 0 and says so in one line at most.
"$PT_WORK/container" "$PT_WORK/app" "$PT_WORK/spin" 1.5 &
pid=$!
pt_track "$pid"
if wait_container "$pid"; then
	pt_proftop "$PT_WORK/exit.txt" report -d 20 -p "$pid"
	pt_eq "exits while attached: proftop's exit status" "$PT_RC" 0
	if grep -q 'container_hot' "$PT_WORK/exit.txt"; then
		pt_ok "exits while attached: container_hot named in what was collected"
	else
		pt_fail "exits while attached: expected container_hot in the report, saw:"
		sed 's/^/#   /' "$PT_WORK/exit.txt" | head -n 10
	fi
	if [ "$(grep -c . "$PT_WORK/exit.txt.err")" -le 1 ]; then
		pt_ok "exits while attached: stderr has at most one line: $(cat "$PT_WORK/exit.txt.err")"
	else
		pt_fail "exits while attached: expected at most one line on stderr, saw:"
		sed 's/^/#   /' "$PT_WORK/exit.txt.err" | head -n 10
	fi
fi
wait "$pid" 2>/dev/null

# 6. Two container processes attached (-p A,B), B killed once proftop
# samples: profiling goes on with A until -d, in at most one line on
# stderr.
"$PT_WORK/container" "$PT_WORK/app" "$PT_WORK/spin" 0 &
pid=$!
pt_track "$pid"
"$PT_WORK/container" "$PT_WORK/app" "$PT_WORK/spin" 0 &
pid2=$!
pt_track "$pid2"
if wait_container "$pid" && wait_container "$pid2"; then
	echo "# proftop report -d 3 -p $pid,$pid2 (then kill $pid2)"
	timeout -k 5 "$PT_TIMEOUT" "$PROFTOP" report -d 3 -p "$pid,$pid2" \
		>"$PT_WORK/multi.txt" 2>"$PT_WORK/multi.txt.err" &
	timeout_pid=$!
	proftop_pid=$(pt_wait_child "$timeout_pid") && pt_wait_attached "$proftop_pid" "$pid2"
	{ kill -KILL "$pid2" && wait "$pid2"; } 2>/dev/null
	wait "$timeout_pid"
	pt_eq "one of two killed: proftop's exit status" "$?" 0
	if grep -q '^target still running, detached' "$PT_WORK/multi.txt" &&
		grep -q 'container_hot' "$PT_WORK/multi.txt"; then
		pt_ok "one of two killed: profiling went on ($(sed -n 2p "$PT_WORK/multi.txt"))"
	else
		pt_fail "one of two killed: expected 'target still running, detached' and container_hot, saw:"
		sed 's/^/#   /' "$PT_WORK/multi.txt" | head -n 10
	fi
	if [ "$(grep -c . "$PT_WORK/multi.txt.err")" -le 1 ]; then
		pt_ok "one of two killed: stderr has at most one line: $(cat "$PT_WORK/multi.txt.err")"
	else
		pt_fail "one of two killed: expected at most one line on stderr, saw:"
		sed 's/^/#   /' "$PT_WORK/multi.txt.err" | head -n 10
	fi
fi
kill "$pid" "$pid2" 2>/dev/null
wait "$pid" "$pid2" 2>/dev/null
pt_finish
