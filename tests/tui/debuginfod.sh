#!/bin/bash
# debuginfod in the live view: while a server that never answers holds the
# fetch, the header's status line says "debuginfod: fetching shares", the
# view answers keys (names from the symbol tables: shares+0x...), and the
# timeout ends it with one "unreachable" line there, not on the terminal.
# With a real server (Debian's debuginfod on a loopback port) the stripped
# program's rows become work_sixty & co. while it runs, and the status line
# says where the file came to.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
. "$top_srcdir/tests/e2e/debuginfod-lib.sh"
dbgi_setup

real=$PROFTOP
# proftop with the debuginfod variables, whatever tmux's environment is.
with_env()
{
	local wrapper=$PT_WORK/proftop-$1
	shift
	{
		echo '#!/bin/sh'
		for kv in "$@"; do
			printf 'export %q\n' "$kv"
		done
		printf 'exec %q "$@"\n' "$real"
	} >"$wrapper"
	chmod +x "$wrapper"
	echo "$wrapper"
}

if dbgi_start_mute; then
	PROFTOP=$(with_env mute "DEBUGINFOD_URLS=http://127.0.0.1:$DBGI_MUTE_PORT" \
		"DEBUGINFOD_CACHE_PATH=$PT_WORK/cache" DEBUGINFOD_TIMEOUT=4)
	tui_start 150 30 --no-color -- "$PT_WORK/bin/shares" 30
	tui_wait "the status line: fetching" 'debuginfod: fetching shares [0-9.]+ MB' 10
	tui_keys 2
	tui_wait "keys work meanwhile: 2 sorts by own time" 'by own time \(tottime\)' 5
	tui_wait "  names from the symbol tables meanwhile" 'shares\+0x[0-9a-f]+ \[shares\]' 5
	tui_wait "  still fetching" 'debuginfod: fetching shares' 2
	tui_wait "the timeout: unreachable, on the status line" \
		"debuginfod: http://127.0.0.1:$DBGI_MUTE_PORT unreachable \\(no answer within" 15
	tui_keys q
	tui_wait_exit 15 || pt_fail "proftop did not quit"
	pt_eq "exit status" "$TUI_RC" 0
	if grep -q debuginfod "$PT_WORK/stderr" 2>/dev/null; then
		pt_fail "debuginfod lines written to the terminal (stderr): $(cat "$PT_WORK/stderr")"
	fi
	tui_tmux kill-server 2>/dev/null
	TUI_SOCK=$TUI_SOCK-2
else
	echo "# no python3 (or no port for it): the silent server case is not tried"
fi

dbgi_start_server
PROFTOP=$(with_env real "DEBUGINFOD_URLS=http://127.0.0.1:$DBGI_PORT" \
	"DEBUGINFOD_CACHE_PATH=$PT_WORK/cache")
tui_start 150 30 --no-color -- "$PT_WORK/bin/shares" 30
tui_wait "the stripped program's functions named while it runs" 'work_sixty \(shares\.c' 15
tui_wait "the status line says where the file came to" \
	"debuginfod: shares: [0-9.]+ (B|KiB|MiB) in [0-9.]+ s \\($PT_WORK/cache/$DBGI_BUILD_ID/debuginfo\\)" 10
tui_keys q
tui_wait_exit 15 || pt_fail "proftop did not quit"
pt_eq "exit status" "$TUI_RC" 0
PROFTOP=$real
pt_finish
