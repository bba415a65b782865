#!/bin/bash
# A perf map proftop must not trust or cannot read: a symbolic link (to a
# file of the host), another user's file, malformed lines, overlapping
# ranges. Each: one line on stderr naming the map, the profile goes on (exit
# 0, the CSV report). The target makes its map, then runs node (which does
# not write one itself without --perf-basic-prof, but runs JIT code).
# Then a jitdump of a newer version, mapped by CPython 3.12+ running with
# -X perf: one line, and its perf map still names its trampolines.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
node=$(command -v node || command -v nodejs) || pt_skip "node is not installed (Debian: nodejs)"
# node leaves its own files where it runs: in the test's directory
cd "$PT_WORK" || exit 1
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
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
py=$(ls -d "$root"/versions/3.1[2-9]*/bin/python3.1[2-9] 2>/dev/null | tail -1)
probe=
[ -n "$py" ] && probe=$("$py" -X perf -c 'import os; print(os.getpid())' 2>/dev/null)
[ -n "$probe" ] && rm -f "/tmp/perf-$probe.map"
if [ -z "$probe" ]; then
	echo "# no CPython 3.12+ with -X perf: the jitdump case is not run"
	pt_finish
fi
cat >"$PT_WORK/newer.py" <<'EOF'
import mmap, os, struct, sys, time
path = "%s/jit-%d.dump" % (sys.argv[1], os.getpid())
with open(path, "wb") as f:   # version 2, x86-64: a newer writer
    f.write(struct.pack("<IIIIIIQQ", 0x4A695444, 2, 40, 62, 0, os.getpid(), 0, 0))
    f.write(b"\0" * 4056)
f = open(path, "rb")
m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC)
def burn(n):
    s = 0
    for i in range(n): s += i * i
    return s
end = time.time() + 1.5
while time.time() < end:
    burn(20000)
print("spun")
EOF
echo "# newer jitdump: $py -X perf newer.py"
out=$PT_WORK/newer.csv
if pt_report "$out" --limit 0 -- "$py" -X perf "$PT_WORK/newer.py" "$PT_WORK"; then
	grep -v '^$' "$out.err" >"$out.lines"
	pt_one_line "newer jitdump" "$out.lines"
	re="jitdump $PT_WORK/jit-[0-9]+\\.dump is version 2, proftop reads version 1; its names are not used"
	if grep -Eq "$re" "$out.err"; then
		pt_ok "newer jitdump: stderr says so"
	else
		pt_fail "newer jitdump: expected stderr matching '$re', saw: $(cat "$out.err")"
	fi
	pt_ge "py::burn total_pct (named by the perf map all the same)" \
		"$(pt_csv "$out" py::burn total_pct)" 50
fi
grep -l -F "$PT_WORK/newer.py" /tmp/perf-*.map 2>/dev/null | xargs -r rm -f
pt_finish
