#!/bin/bash
# debuginfod: a stripped program (no .symtab, no DWARF, only its build id)
# whose debug file only a debuginfod server has. With DEBUGINFOD_URLS
# naming a real server (Debian's debuginfod, started here on a free
# loopback port, serving a directory that holds the debug file), report
# names its functions and --lines shows their source lines, the file
# landing in DEBUGINFOD_CACHE_PATH; --no-debuginfod leaves "module+0x..."
# names; a closed port, or a server that never answers, costs one line on
# stderr and a bounded wait, and the report still prints.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v debuginfod >/dev/null ||
	pt_skip "no debuginfod server binary (apt-get install debuginfod)"
command -v objcopy >/dev/null || pt_skip "no objcopy (binutils) to split the debug info"
grep -q '^#define HAVE_DEBUGINFOD 1' "$top_builddir/config.h" ||
	pt_skip "proftop was built without debuginfod (configure found no libdebuginfod-dev)"
wl=$(pt_workload shares)

mkdir -p "$PT_WORK/srv" "$PT_WORK/bin"
objcopy --only-keep-debug "$wl" "$PT_WORK/srv/shares.debug" &&
	objcopy --strip-all "$wl" "$PT_WORK/bin/shares" ||
	pt_skip "objcopy could not split the debug info"
if readelf -S "$PT_WORK/bin/shares" | grep -Eq 'symtab|debug_info'; then
	pt_skip "strip left a .symtab or DWARF in the program"
fi
build_id=$(readelf -n "$PT_WORK/bin/shares" | awk '/Build ID/ { print $3 }')
[ -n "$build_id" ] || pt_skip "the workload has no build id"

# GET path from 127.0.0.1:port through bash's /dev/tcp (no curl needed).
http_get()
{
	local port=$1 path=$2
	(exec 3<>"/dev/tcp/127.0.0.1/$port" &&
		printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3 &&
		timeout 5 cat <&3) 2>/dev/null
}

# A free port: one nobody listens on now (the server may still lose a
# race for it: it is retried below).
free_port()
{
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Start the server; wait (bounded) until it has indexed the debug file.
port=""
for attempt in 1 2 3; do
	p=$(free_port) || break
	rm -f "$PT_WORK/db.sqlite"*
	debuginfod -F "$PT_WORK/srv" -p "$p" -d "$PT_WORK/db.sqlite" -t 0 -g 0 \
		>"$PT_WORK/server.log" 2>&1 &
	srv=$!
	pt_track "$srv"
	for _ in $(seq 1 150); do
		kill -0 "$srv" 2>/dev/null || break
		if http_get "$p" /metrics | grep -Eq '^found_debuginfo_total\{source="files"\} [1-9]'; then
			port=$p
			break
		fi
		sleep 0.1
	done
	[ -n "$port" ] && break
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	echo "# attempt $attempt: the server on port $p did not come up:"
	tail -n 3 "$PT_WORK/server.log" | sed 's/^/#   /'
done
[ -n "$port" ] || pt_skip "could not start debuginfod on a loopback port"
echo "# debuginfod serves $build_id on port $port"
# The server has the file: a check of the test itself.
if http_get "$port" "/buildid/$build_id/debuginfo" | head -n 1 | grep -q ' 200 '; then
	pt_ok "the server serves the debug file of build id $build_id"
else
	pt_fail "the server does not serve /buildid/$build_id/debuginfo"
fi

# Functions named by the fetched debug file, with their source lines.
export DEBUGINFOD_CACHE_PATH=$PT_WORK/cache
export DEBUGINFOD_URLS=http://127.0.0.1:$port
if pt_report "$PT_WORK/named.csv" -- "$PT_WORK/bin/shares" 0.5; then
	for fn in work_sixty work_thirty work_ten; do
		pt_ge "self samples of $fn, named through debuginfod" \
			"$(pt_csv "$PT_WORK/named.csv" "$fn" self_samples)" 1
	done
fi
if [ -s "$PT_WORK/cache/$build_id/debuginfo" ]; then
	pt_ok "the debug file is in DEBUGINFOD_CACHE_PATH/$build_id/debuginfo"
else
	pt_fail "expected the debug file in $PT_WORK/cache/$build_id/debuginfo; the cache holds:"
	find "$PT_WORK/cache" | sed 's/^/#   /' | head
fi

rm -rf "$PT_WORK/cache"
pt_proftop "$PT_WORK/lines.csv" report --format csv --lines work_sixty -- \
	"$PT_WORK/bin/shares" 0.5
pt_eq "exit status of report --lines work_sixty" "$PT_RC" 0
line=$(awk -F, '$1 ~ /shares\.c$/ && $2 > 0 && $3 > 0 { print $2; exit }' "$PT_WORK/lines.csv")
if [ -n "$line" ]; then
	pt_ok "--lines work_sixty: samples on shares.c:$line"
else
	pt_fail "--lines work_sixty: expected rows of shares.c with samples; saw:"
	sed 's/^/#   /' "$PT_WORK/lines.csv" "$PT_WORK/lines.csv.err" | head -n 10
fi

# --no-debuginfod: the stripped program's addresses stay unnamed.
rm -rf "$PT_WORK/cache"
if pt_report "$PT_WORK/off.csv" --no-debuginfod -- "$PT_WORK/bin/shares" 0.5; then
	pt_eq "work_sixty with --no-debuginfod" "$(pt_csv "$PT_WORK/off.csv" work_sixty function)" ""
	named=$(pt_csv_like "$PT_WORK/off.csv" '^shares\+0x' function)
	if [ -n "$named" ]; then
		pt_ok "--no-debuginfod: functions named like ${named%%$'\t'*}"
	else
		pt_fail "--no-debuginfod: expected functions named shares+0x...; saw:"
		sed 's/^/#   /' "$PT_WORK/off.csv" | head -n 12
	fi
fi
if [ -e "$PT_WORK/cache/$build_id/debuginfo" ]; then
	pt_fail "--no-debuginfod fetched the debug file all the same"
fi

# A closed port: one line, the report, no long wait.
closed=$(free_port)
DEBUGINFOD_URLS=http://127.0.0.1:$closed pt_report "$PT_WORK/closed.csv" -- \
	"$PT_WORK/bin/shares" 0.2
grep '^proftop' "$PT_WORK/closed.csv.err" >"$PT_WORK/closed.msg"
pt_one_line "a closed port" "$PT_WORK/closed.msg"
if grep -q "127.0.0.1:$closed unreachable" "$PT_WORK/closed.msg"; then
	pt_ok "the line names the server and says it is unreachable"
else
	pt_fail "expected 'debuginfod: http://127.0.0.1:$closed unreachable ...'"
fi
pt_le "seconds with a closed port" "$PT_SECONDS" 30

# A server that takes the connection and never answers: the timeout
# (DEBUGINFOD_TIMEOUT, 2 s here) ends the fetch; proftop says so and ends.
if command -v python3 >/dev/null; then
	mute=$(free_port)
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
' "$mute" &
	pt_track $!
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$mute") 2>/dev/null && break
		sleep 0.1
	done
	DEBUGINFOD_TIMEOUT=2 DEBUGINFOD_URLS=http://127.0.0.1:$mute \
		pt_report "$PT_WORK/mute.csv" -- "$PT_WORK/bin/shares" 0.2
	if grep -q "127.0.0.1:$mute unreachable (no answer within DEBUGINFOD_TIMEOUT=2 s)" \
		"$PT_WORK/mute.csv.err"; then
		pt_ok "a server that does not answer: $(grep unreachable "$PT_WORK/mute.csv.err")"
	else
		pt_fail "expected 'unreachable (no answer within DEBUGINFOD_TIMEOUT=2 s)'; stderr:"
		sed 's/^/#   /' "$PT_WORK/mute.csv.err" | head -n 5
	fi
	pt_le "seconds with a server that does not answer" "$PT_SECONDS" 30
else
	echo "# no python3: the silent server case is not tried"
fi

pt_finish
