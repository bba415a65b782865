#!/bin/bash
# CPython 3.12's perf trampolines (python3.12 -X perf writes
# /tmp/perf-PID.map): two Python functions burn CPU 3:1 by construction
# (the same loop, 30000 and 10000 times). Their trampolines are named
# py::burn_a and py::burn_b from the map (not //anon), 3:1 between them
# (±0.06 of the pair). (The trampolines keep no frame pointer, so native
# stacks stop at them; the Python frames proftop reads itself go on.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
py=$(ls -d "$root"/versions/3.1[2-9]*/bin/python3.1[2-9] 2>/dev/null | tail -1)
[ -n "$py" ] && [ -x "$py" ] || py=$(command -v python3.13 || command -v python3.12) ||
	pt_skip "no CPython 3.12 or later (pyenv or python3.12): -X perf is 3.12's"
# (the probe's own map removed: it names nothing of ours)
probe=$("$py" -X perf -c 'import os; print(os.getpid())' 2>/dev/null) ||
	pt_skip "$py -X perf does not run here"
rm -f "/tmp/perf-$probe.map"

cat >"$PT_WORK/burn.py" <<'EOF'
import sys, time
def burn_a(n):
    s = 0
    for i in range(n): s += i * i
    return s
def burn_b(n):
    s = 0
    for i in range(n): s += i * i
    return s
end = time.time() + float(sys.argv[1])
while time.time() < end:
    burn_a(30000)
    burn_b(10000)
print("burnt")
EOF
remove_maps()
{
	grep -l -F "$PT_WORK/burn.py" /tmp/perf-*.map 2>/dev/null | xargs -r rm -f
}
trap 'remove_maps; pt_cleanup' EXIT

pt_report "$PT_WORK/out.csv" --limit 0 -- "$py" -X perf "$PT_WORK/burn.py" 3 || pt_finish
ta=$(pt_csv "$PT_WORK/out.csv" py::burn_a total_pct)
tb=$(pt_csv "$PT_WORK/out.csv" py::burn_b total_pct)
mod=$(pt_csv "$PT_WORK/out.csv" py::burn_a module)
file=$(pt_csv "$PT_WORK/out.csv" py::burn_a file)
anon=$(pt_csv "$PT_WORK/out.csv" //anon self_pct)
echo "# proftop: py::burn_a ${ta:-absent}% (module $mod, $file), py::burn_b ${tb:-absent}%, //anon ${anon:-0}%"
pt_eq "py::burn_a's module (the perf map)" "$(sed -E 's/[0-9]+/PID/' <<<"$mod")" "perf-PID.map"
pt_eq "py::burn_a's file" "$file" "$PT_WORK/burn.py"
if pt_num "$ta" && pt_num "$tb"; then
	pt_near "py::burn_a / (py::burn_a + py::burn_b) (3:1 by construction)" \
		"$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.3f", a / (a + b) }')" 0.75 0.06
else
	pt_fail "expected py::burn_a and py::burn_b in the report; saw '$ta', '$tb'"
fi
pt_le "//anon self_pct (trampolines left unnamed)" "${anon:-0}" 2
pt_finish
