#!/bin/bash
# debuginfod and dwz: a debug file that dwz shrank keeps some of its DWARF
# in a shared file named by its .gnu_debugaltlink (here a path that does
# not exist, as on a machine without the -dbgsym packages). proftop fetches
# that file too, by its build id, and names from it what lives there: main
# keeps its declaration's file and line (shares.c:N). Without the shared
# file on the server, main loses them, so the check can fail.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
. "$top_srcdir/tests/e2e/debuginfod-lib.sh"
dbgi_setup
command -v dwz >/dev/null || pt_skip "no dwz (apt-get install dwz)"
other=$(pt_workload inline)

mkdir -p "$PT_WORK/dwz/srv"
cp "$(pt_workload shares)" "$PT_WORK/dwz/a"
cp "$other" "$PT_WORK/dwz/b"
(cd "$PT_WORK/dwz" && dwz -m common.debug -M /nonexistent/dwz/common.debug a b) \
	>"$PT_WORK/dwz.err" 2>&1 || pt_skip "dwz could not make a shared file: $(head -n 1 "$PT_WORK/dwz.err")"
readelf -S "$PT_WORK/dwz/a" | grep -q gnu_debugaltlink || pt_skip "dwz left no .gnu_debugaltlink"
objcopy --only-keep-debug "$PT_WORK/dwz/a" "$PT_WORK/dwz/srv/a.debug" &&
	objcopy --strip-all "$PT_WORK/dwz/a" "$PT_WORK/dwz/a.stripped" ||
	pt_skip "objcopy could not split the debug info"
alt_id=$(readelf -n "$PT_WORK/dwz/common.debug" | awk '/Build ID/ { print $3 }')
[ -n "$alt_id" ] || pt_skip "dwz's shared file has no build id"
cp "$PT_WORK/dwz/common.debug" "$PT_WORK/dwz/srv/"
dbgi_start_server "$PT_WORK/dwz/srv" 2

export DEBUGINFOD_CACHE_PATH=$PT_WORK/cache
export DEBUGINFOD_URLS=http://127.0.0.1:$DBGI_PORT
if pt_report "$PT_WORK/dwz.csv" -- "$PT_WORK/dwz/a.stripped" 0.3; then
	pt_ge "self samples of work_sixty" "$(pt_csv "$PT_WORK/dwz.csv" work_sixty self_samples)" 1
	pt_eq "main's file, from dwz's shared file" \
		"$(pt_csv "$PT_WORK/dwz.csv" main file | sed 's|.*/||')" shares.c
	pt_ge "main's line" "$(pt_csv "$PT_WORK/dwz.csv" main line)" 1
fi
if [ -s "$PT_WORK/cache/$alt_id/debuginfo" ]; then
	pt_ok "the shared file (build id $alt_id) was fetched into the cache"
else
	pt_fail "expected dwz's shared file in $PT_WORK/cache/$alt_id/debuginfo"
fi
pt_finish
