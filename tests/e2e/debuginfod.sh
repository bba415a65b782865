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
. "$top_srcdir/tests/e2e/debuginfod-lib.sh"
dbgi_setup
dbgi_start_server
build_id=$DBGI_BUILD_ID
port=$DBGI_PORT
# The server has the file: a check of the test itself.
if dbgi_http_get "$port" "/buildid/$build_id/debuginfo" | head -n 1 | grep -q ' 200 '; then
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
closed=$(dbgi_free_port)
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
if dbgi_start_mute; then
	mute=$DBGI_MUTE_PORT
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
	echo "# no python3 (or no port for it): the silent server case is not tried"
fi

pt_finish
