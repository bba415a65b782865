# Helpers of the debuginfod tests (bash; sourced after tests/lib.sh): a
# stripped copy of the shares workload whose debug file only a debuginfod
# server has, and that server (Debian's debuginfod) on a free loopback port.
#
#   dbgi_setup           skip without debuginfod, objcopy or a build with it;
#                        $PT_WORK/bin/shares (stripped), DBGI_BUILD_ID
#   dbgi_start_server [DIR [N]]  debuginfod -F on DIR ($PT_WORK/srv); DBGI_PORT
#                        once it has indexed N debug files (1) (killed at exit)
#   dbgi_start_mute      a server that takes connections and never answers;
#                        DBGI_MUTE_PORT (killed at exit)
#   dbgi_free_port       a port nobody listens on now
#   dbgi_http_get PORT PATH

dbgi_setup()
{
	local wl
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
	DBGI_BUILD_ID=$(readelf -n "$PT_WORK/bin/shares" | awk '/Build ID/ { print $3 }')
	[ -n "$DBGI_BUILD_ID" ] || pt_skip "the workload has no build id"
}

# GET PATH from 127.0.0.1:PORT through bash's /dev/tcp (no curl needed).
dbgi_http_get()
{
	local port=$1 path=$2
	(exec 3<>"/dev/tcp/127.0.0.1/$port" &&
		printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3 &&
		timeout 5 cat <&3) 2>/dev/null
}

dbgi_free_port()
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

# The server may lose a race for its port: retried on another.
dbgi_start_server()
{
	local dir=${1:-$PT_WORK/srv} want=${2:-1} p srv attempt
	DBGI_PORT=""
	for attempt in 1 2 3; do
		p=$(dbgi_free_port) || break
		rm -f "$PT_WORK/db.sqlite"*
		debuginfod -F "$dir" -p "$p" -d "$PT_WORK/db.sqlite" -t 0 -g 0 \
			>"$PT_WORK/server.log" 2>&1 &
		srv=$!
		pt_track "$srv"
		for _ in $(seq 1 150); do
			kill -0 "$srv" 2>/dev/null || break
			if dbgi_http_get "$p" /metrics | awk -v want="$want" \
				'/^found_debuginfo_total\{source="files"\}/ && $2 >= want { ok = 1 }
				END { exit !ok }'; then
				DBGI_PORT=$p
				break
			fi
			sleep 0.1
		done
		[ -n "$DBGI_PORT" ] && break
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		echo "# attempt $attempt: the server on port $p did not come up:"
		tail -n 3 "$PT_WORK/server.log" | sed 's/^/#   /'
	done
	[ -n "$DBGI_PORT" ] || pt_skip "could not start debuginfod on a loopback port"
	echo "# debuginfod serves $DBGI_BUILD_ID on port $DBGI_PORT"
}

dbgi_start_mute()
{
	command -v python3 >/dev/null || return 1
	DBGI_MUTE_PORT=$(dbgi_free_port) || return 1
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
' "$DBGI_MUTE_PORT" 2>/dev/null &
	pt_track $!
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$DBGI_MUTE_PORT") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
