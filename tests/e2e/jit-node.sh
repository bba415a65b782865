#!/bin/bash
# JIT code: node --perf-basic-prof writes /tmp/perf-PID.map as V8 compiles.
# A script burns CPU in two JS functions, 3:1 by construction (the same loop
# body, 30,000,000 and 10,000,000 times, a cycle of about 40 ms; the driver
# is never optimized, so neither is inlined into it). perf record runs
# proftop, which runs node: both name burnA and burnB from the map, with
# the same self shares (±5 points: two samplers of one run, proftop at 1009
# Hz and perf at 997; perf counts each tier's code apart, summed here),
# burnA's part of the pair as perf saw it (±0.05; both read 0.75, as node's
# own clock around the calls does). A cycle shorter than the sampling
# period (0.4 ms, with 300,000 and 100,000) made each sampler see its own
# phase of it: 5 to 10 points apart in 3 runs of 4 at 1009 against 997 Hz;
# at one rate for both the phases lock, and they agreed for nothing but in
# 3 runs of 10), little left unnamed
# in anonymous memory; and the stacks go through the JIT frames by their
# frame pointers down to node::Start (cumulative > 80%; without frame
# pointers through JIT code, 13%).
# Then node --perf-prof, which writes a jitdump (jit-PID.dump, in the
# working directory) with line tables, again under perf record (named by
# perf inject --jit): the same names and shares from it, and burnA's
# samples on its loop's line (3). Node 20 writes some line entries' file
# names from freed memory: the lines are read all the same.
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
	let t = 0, ta = 0n, tb = 0n;
	while (Date.now() < end) {
		const t0 = process.hrtime.bigint();
		t += burnA(30000000);
		const t1 = process.hrtime.bigint();
		t += burnB(10000000);
		ta += t1 - t0;
		tb += process.hrtime.bigint() - t1;
	}
	return [t, Number(ta) / Number(ta + tb)];
}
%NeverOptimizeFunction(drive);
const [t, share] = drive(Number(process.argv[2]));
console.log(t > 0 ? "burnt " + share.toFixed(3) : "?");
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
# proftop at 1009 Hz under perf's 997, as in perf-agreement: two timers at
# one rate keep one phase apart, and each may see its own phase of a loop.
echo "# perf record -e cpu-clock -F 997 --call-graph dwarf -- proftop report --format csv -F 1009 -- ${cmd[*]}"
timeout -k 5 "$PT_TIMEOUT" perf record -q -e cpu-clock -F 997 --call-graph dwarf -o "$PT_WORK/perf.data" \
	-- "$PROFTOP" report --format csv --limit 0 -F 1009 -- "${cmd[@]}" \
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

# perf's view of a node process (its comm is node) in perf data $1: the
# leaf of each sample, as proftop's self (a sample in the kernel is the
# kernel's). Leaves only: perf script's call chains through node take
# minutes. Prints the samples, burnA's and burnB's percentages.
perf_leaves()
{
	perf script -i "$1" -F ip,sym -G --comms node 2>/dev/null |
		sed -E 's/^ *[0-9a-f]+ //' >"$1.leaves"
	sort "$1.leaves" | uniq -c | sort -rn | head -n 4 | sed 's/^/#   perf: /' >&2
	awk '{ n++ } /^JS:.burnA / { a++ } /^JS:.burnB / { b++ }
		END { if (n) printf "%d %.2f %.2f\n", n, 100 * a / n, 100 * b / n }' "$1.leaves"
}

# proftop's self shares $1 $2 against perf's $3 $4: each within 5 points,
# burnA's part of the pair within 0.05 of perf's (V8 tiers each function
# in its own time: the pair is near 3:1, from 0.60 to 0.86 between runs)
compare_perf()
{
	pt_near "burnA self_pct (perf: $3)" "$1" "$3" 5
	pt_near "burnB self_pct (perf: $4)" "$2" "$4" 5
	if pt_num "$1" && pt_num "$2" && pt_num "$3" && pt_num "$4"; then
		pt_near "burnA / (burnA + burnB) (perf: $(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.3f", a / (a + b) }'))" \
			"$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / (a + b) }')" \
			"$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.3f", a / (a + b) }')" 0.05
	else
		pt_fail "expected burnA and burnB from both; saw proftop '$1' '$2', perf '$3' '$4'"
	fi
}

read -r pn pa pb < <(perf_leaves "$PT_WORK/perf.data")
echo "# perf: ${pn:-no} samples of node: burnA $pa%, burnB $pb% (self, summed over V8's tiers)"

pt_eq "burnA's module (the perf map)" "$(sed -E 's/[0-9]+/PID/' <<<"$amod")" "perf-PID.map"
pt_eq "burnA's file:line (from V8's name)" "$afile:$aline" "$PT_WORK/burn.js:1"
compare_perf "$a" "$b" "$pa" "$pb"
pt_le "//anon self_pct (JIT code left unnamed)" "${anon:-0}" 5
pt_ge "node::Start total_pct (stacks through the JIT frames)" "$start" 80

echo "# the jitdump: node --perf-prof, in $PT_WORK, under perf record -k mono (V8's clock)"
cd "$PT_WORK" || exit 1
dcmd=("$node" --allow-natives-syntax --perf-prof "$PT_WORK/burn.js" 3)
timeout -k 5 "$PT_TIMEOUT" perf record -q -k mono -e cpu-clock -F 997 -o "$PT_WORK/dump.data" \
	-- "$PROFTOP" report --format csv --limit 0 -F 1009 -- "${dcmd[@]}" \
	>"$PT_WORK/dump.csv" 2>"$PT_WORK/dump.csv.err"
pt_eq "proftop exit status (jitdump, under perf record)" "$?" 0
a=$(pt_csv "$PT_WORK/dump.csv" burnA self_pct)
b=$(pt_csv "$PT_WORK/dump.csv" burnB self_pct)
amod=$(pt_csv "$PT_WORK/dump.csv" burnA module)
anon=$(pt_csv "$PT_WORK/dump.csv" //anon self_pct)
echo "# proftop: burnA ${a:-absent}% (module $amod), burnB ${b:-absent}%, //anon ${anon:-0}%; node's clock: burnA $(sed -n 's/^burnt //p' "$PT_WORK/dump.csv") of the pair"
pt_eq "burnA's module (the jitdump)" "$(sed -E 's/[0-9]+/PID/' <<<"$amod")" "jit-PID.dump"
pt_le "//anon self_pct (JIT code left unnamed)" "${anon:-0}" 5
# perf names jitdump code once perf inject has made an ELF file of each
# piece (under $HOME/.debug: the test's own)
if HOME="$PT_WORK/home" perf inject --jit -i "$PT_WORK/dump.data" -o "$PT_WORK/dump.jit.data" \
	2>"$PT_WORK/inject.err"; then
	read -r pn pa pb < <(perf_leaves "$PT_WORK/dump.jit.data")
	echo "# perf (injected): ${pn:-no} samples of node: burnA $pa%, burnB $pb%"
	compare_perf "$a" "$b" "$pa" "$pb"
else
	pt_fail "perf inject --jit failed: $(head -n 1 "$PT_WORK/inject.err")"
fi
pt_proftop "$PT_WORK/lines.txt" report --lines burnA -- "${dcmd[@]}"
# "*   0.203    0.205   98.6%      3  ..." : the %total of line 3
loop=$(awk '$1 == "*" && $5 == 3 { sub(/%/, "", $4); print $4 }' "$PT_WORK/lines.txt")
pt_ge "burnA's loop line (3) %total, from the jitdump's line table" "${loop:-absent}" 80
[ -n "$loop" ] || sed 's/^/#   /' "$PT_WORK/lines.txt" | head -n 20
pt_finish
