#!/bin/bash
# JIT code: node --perf-basic-prof writes /tmp/perf-PID.map as V8 compiles.
# A script burns CPU in two JS functions, 3:1 by construction (the same loop
# body, 300000 and 100000 times; the driver is never optimized, so neither
# is inlined into it). perf record runs proftop, which runs node: both name
# burnA and burnB from the map, with the same self shares (±5 points: two
# samplers of one run; perf counts each tier's code apart, summed here),
# 3:1 between them (±0.08 of the pair: both samplers have seen 0.78 where
# node's own clock says 0.71-0.75; ±0.05 of perf's), little left unnamed
# in anonymous memory; and the stacks go through the JIT frames by their
# frame pointers down to node::Start (cumulative > 80%; without frame
# pointers through JIT code, 13%).
# Then node --perf-prof, which writes a jitdump (jit-PID.dump, in the
# working directory) with line tables: the same names and shares from it,
# and burnA's samples on its loop's line (3).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
node=$(command -v node || command -v nodejs) || pt_skip "node is not installed (Debian: nodejs)"
pt_need_perf
SECONDS_BURNT=4

cat >"$PT_WORK/burn.js" <<'EOF'
function burnA(n) {
	let s = 0;
	for (let i = 0; i < n; i++) s += Math.sqrt(i) * (i & 7);
	return s;
}
function burnB(n) {
	let s = 0;
	for (let i = 0; i < n; i++) s += Math.sqrt(i) * (i & 7);
	return s;
}
function drive(seconds) {
	const end = Date.now() + seconds * 1000;
	let t = 0;
	while (Date.now() < end) {
		t += burnA(300000);
		t += burnB(100000);
	}
	return t;
}
%NeverOptimizeFunction(drive);
console.log(drive(Number(process.argv[2])) > 0 ? "burnt" : "?");
EOF

# the maps node leaves in /tmp, removed at the end
remove_maps()
{
	grep -l -F "$PT_WORK/burn.js" /tmp/perf-*.map 2>/dev/null | xargs -r rm -f
}
trap 'remove_maps; pt_cleanup' EXIT
# node leaves its own files (isolate-*-v8.log, jit-*.dump) where it runs
cd "$PT_WORK" || exit 1

cmd=("$node" --allow-natives-syntax --perf-basic-prof "$PT_WORK/burn.js" "$SECONDS_BURNT")
echo "# perf record -e cpu-clock -F 997 --call-graph dwarf -- proftop report --format csv -F 997 -- ${cmd[*]}"
timeout -k 5 "$PT_TIMEOUT" perf record -q -e cpu-clock -F 997 --call-graph dwarf -o "$PT_WORK/perf.data" \
	-- "$PROFTOP" report --format csv --limit 0 -F 997 -- "${cmd[@]}" \
	>"$PT_WORK/out.csv" 2>"$PT_WORK/out.csv.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -Eq "$PT_PERM_RE" "$PT_WORK/out.csv.err"; then
	pt_skip "perf_event_open refused: $(grep -E -m1 "$PT_PERM_RE" "$PT_WORK/out.csv.err")"
fi
pt_eq "proftop exit status (under perf record)" "$rc" 0
grep -q burnt "$PT_WORK/out.csv" || pt_fail "expected node to print 'burnt'; stdout: $(head -c 300 "$PT_WORK/out.csv")"
if ! tr -d '\r' <"$PT_WORK/out.csv" | grep -qxF "$PT_CSV_HEADER"; then
	pt_fail "expected proftop's CSV report; stdout and stderr:"
	sed 's/^/#   /' "$PT_WORK/out.csv" "$PT_WORK/out.csv.err" | head -n 20
	pt_finish
fi
if [ -s "$PT_WORK/out.csv.err" ]; then
	echo "# proftop's stderr:"
	sed 's/^/#   /' "$PT_WORK/out.csv.err" | head -n 5
fi

a=$(pt_csv "$PT_WORK/out.csv" burnA self_pct)
b=$(pt_csv "$PT_WORK/out.csv" burnB self_pct)
amod=$(pt_csv "$PT_WORK/out.csv" burnA module)
afile=$(pt_csv "$PT_WORK/out.csv" burnA file)
aline=$(pt_csv "$PT_WORK/out.csv" burnA line)
anon=$(pt_csv "$PT_WORK/out.csv" //anon self_pct)
start=$(pt_csv "$PT_WORK/out.csv" "node::Start(int, char**)" total_pct)
echo "# proftop: burnA ${a:-absent}% (module $amod, $afile:$aline), burnB ${b:-absent}%, //anon ${anon:-0}%, node::Start ${start:-absent}% cumulative"

# perf's view of the same node process (its comm is node): the leaf of
# each sample, as proftop's self (a sample in the kernel is the kernel's).
# Leaves only: perf script's call chains through node take minutes.
perf script -i "$PT_WORK/perf.data" -F ip,sym -G --comms node 2>/dev/null |
	sed -E 's/^ *[0-9a-f]+ //' >"$PT_WORK/perf.leaves"
read -r pn pa pb < <(awk '{ n++ } /^JS:.burnA / { a++ } /^JS:.burnB / { b++ }
	END { if (n) printf "%d %.2f %.2f\n", n, 100 * a / n, 100 * b / n }' "$PT_WORK/perf.leaves")
echo "# perf: ${pn:-no} samples of node: burnA $pa%, burnB $pb% (self, summed over V8's tiers)"
sort "$PT_WORK/perf.leaves" | uniq -c | sort -rn | head -n 4 | sed 's/^/#   perf: /'

pt_eq "burnA's module (the perf map)" "$(sed -E 's/[0-9]+/PID/' <<<"$amod")" "perf-PID.map"
pt_eq "burnA's file:line (from V8's name)" "$afile:$aline" "$PT_WORK/burn.js:1"
pt_near "burnA self_pct (perf: $pa)" "$a" "$pa" 5
pt_near "burnB self_pct (perf: $pb)" "$b" "$pb" 5
if pt_num "$a" && pt_num "$b" && pt_num "$pa" && pt_num "$pb"; then
	r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / (a + b) }')
	pr=$(awk -v a="$pa" -v b="$pb" 'BEGIN { printf "%.3f", a / (a + b) }')
	pt_near "burnA / (burnA + burnB) (3:1 by construction)" "$r" 0.75 0.08
	pt_near "burnA / (burnA + burnB) (perf: $pr)" "$r" "$pr" 0.05
fi
pt_le "//anon self_pct (JIT code left unnamed)" "${anon:-0}" 5
pt_ge "node::Start total_pct (stacks through the JIT frames)" "$start" 80

echo "# the jitdump: node --perf-prof, in $PT_WORK"
cd "$PT_WORK" || exit 1
dcmd=("$node" --allow-natives-syntax --perf-prof "$PT_WORK/burn.js" 3)
if pt_report "$PT_WORK/dump.csv" --limit 0 -- "${dcmd[@]}"; then
	a=$(pt_csv "$PT_WORK/dump.csv" burnA self_pct)
	b=$(pt_csv "$PT_WORK/dump.csv" burnB self_pct)
	amod=$(pt_csv "$PT_WORK/dump.csv" burnA module)
	anon=$(pt_csv "$PT_WORK/dump.csv" //anon self_pct)
	echo "# proftop: burnA ${a:-absent}% (module $amod), burnB ${b:-absent}%, //anon ${anon:-0}%"
	pt_eq "burnA's module (the jitdump)" "$(sed -E 's/[0-9]+/PID/' <<<"$amod")" "jit-PID.dump"
	if pt_num "$a" && pt_num "$b"; then
		pt_near "burnA / (burnA + burnB) (3:1 by construction)" \
			"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / (a + b) }')" 0.75 0.08
	else
		pt_fail "expected burnA and burnB in the report; saw burnA '$a', burnB '$b'"
	fi
	pt_le "//anon self_pct (JIT code left unnamed)" "${anon:-0}" 5
fi
pt_proftop "$PT_WORK/lines.txt" report --lines burnA -- "${dcmd[@]}"
# "*   0.203    0.205   98.6%      3  ..." : the %total of line 3
loop=$(awk '$1 == "*" && $5 == 3 { sub(/%/, "", $4); print $4 }' "$PT_WORK/lines.txt")
pt_ge "burnA's loop line (3) %total, from the jitdump's line table" "${loop:-absent}" 80
[ -n "$loop" ] || sed 's/^/#   /' "$PT_WORK/lines.txt" | head -n 20
pt_finish
