#!/bin/bash
# A perf map proftop must not trust or cannot read: a symbolic link (to a
# file of the host), another user's file, malformed lines, overlapping
# ranges. Each: one line on stderr naming the map, the profile goes on (exit
# 0, the CSV report). The target makes its map, then runs node (which does
# not write one itself without --perf-basic-prof, but runs JIT code).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
node=$(command -v node || command -v nodejs) || pt_skip "node is not installed (Debian: nodejs)"
[ "$(id -u)" -eq 0 ] || pt_skip "needs root (files of another user in /tmp)"
cat >"$PT_WORK/spin.js" <<'EOF'
function spin(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); return s; }
const end = Date.now() + 1000;
let t = 0;
while (Date.now() < end) t += spin(100000);
console.log(t > 0 ? "spun" : "?");
EOF
# the maps the targets made, removed at the end
remove_maps()
{
	local pid
	for pid in $(cat "$PT_WORK/pids" 2>/dev/null); do
		rm -f "/tmp/perf-$pid.map" "/tmp/perf-proftop-test-$pid"
	done
}
trap 'remove_maps; pt_cleanup' EXIT

# check NAME SETUP EXPECTED_RE: SETUP makes /tmp/perf-$$.map in the target
# (a shell that then execs node, keeping its pid).
check()
{
	local name=$1 setup=$2 re=$3 out=$PT_WORK/$1.csv
	echo "# $name: $setup"
	pt_report "$out" -- sh -c "echo \$\$ >>'$PT_WORK/pids'; $setup; exec '$node' '$PT_WORK/spin.js'" || return
	grep -q spun "$out" || pt_fail "$name: expected node's output 'spun'"
	grep -v '^$' "$out.err" >"$out.lines"
	pt_one_line "$name" "$out.lines"
	if grep -Eq "$re" "$out.err"; then
		pt_ok "$name: stderr says $re"
	else
		pt_fail "$name: expected stderr matching '$re', saw: $(cat "$out.err")"
	fi
}
check symlink 'echo 1000 10 secret >/tmp/perf-proftop-test-$$; ln -sf /tmp/perf-proftop-test-$$ /tmp/perf-$$.map' \
	'perf map /tmp/perf-[0-9]+\.map is a symbolic link; not read'
check owner 'printf "1000 10 f\n" >/tmp/perf-$$.map; chown 4242 /tmp/perf-$$.map' \
	"perf map /tmp/perf-[0-9]+\.map is owned by uid 4242, neither the target's user nor root; not read"
check malformed 'printf "10 10 a\nnot a line\n12 10 over a\nzz\n" >/tmp/perf-$$.map' \
	'perf map /tmp/perf-[0-9]+\.map: line 2 is not "START SIZE NAME" in hex; skipped'
pt_finish
