#!/bin/bash
# Page faults sampled with user stacks (RSS growth by code): in
# `report --memory`, each function's faulted_bytes is the memory it touched
# first. memtouch: touch_heap() 64 MiB, touch_mmap() 32 MiB, reuse() writes
# both again and faults nothing new. Launched, then attached with -p (the
# program waits for SIGUSR1 once proftop is sampling it). One fault in 64 is
# sampled by default, each sample standing for 64 pages: every function's
# faulted bytes are whole 256 KiB samples.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload memtouch)
PT_TIMEOUT=60
MEM_HEADER='function,module,allocated_bytes,self_allocated_bytes,allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes'

# mem_mib FILE FUNCTION: FUNCTION's faulted_bytes in MiB in the memory
# table (0 when it has no row: no fault was sampled in it)
mem_mib()
{
	awk -F, -v header="$MEM_HEADER" -v fn="$2" '
		$0 == header { for (i = 1; i <= NF; i++) col[$i] = i; on = 1; next }
		on && $0 == "" { exit }
		on && $1 == fn { v = $col["faulted_bytes"]; found = 1; exit }
		END { if (on) printf "%.2f\n", found ? v / 1048576 : 0 }' "$1"
}

# near LABEL SEEN EXPECTED TOLERANCE LOST: pt_near, or with samples lost
# (the kernel dropped some: a loaded machine, said in the report's header)
# only that nothing was counted twice
near()
{
	if [ "$5" -gt 0 ]; then
		echo "# $5 samples lost under load: $1 may come out short"
		pt_le "$1" "$2" "$(awk -v e="$3" -v t="$4" 'BEGIN { print e + t }')"
	else
		pt_near "$1" "$2" "$3" "$4"
	fi
}

# check LABEL OUT SESSION: the faulted bytes of the memory table in OUT;
# SESSION (--save) says how many samples were lost
check()
{
	local label=$1 out=$2 lost odd
	if ! grep -qx "$MEM_HEADER" "$out"; then
		pt_fail "$label: expected the memory table's header '$MEM_HEADER'; saw:"
		sed 's/^/#   /' "$out" "$out.err" | head -n 20
		return
	fi
	lost=$("$PROFTOP" report -i "$3" --format json | grep -o '"lost":[0-9]*' | cut -d: -f2)
	near "$label: faulted MiB in touch_heap" "$(mem_mib "$out" touch_heap)" 64 6.4 "${lost:-0}"
	near "$label: faulted MiB in touch_mmap" "$(mem_mib "$out" touch_mmap)" 32 3.2 "${lost:-0}"
	pt_le "$label: faulted MiB in reuse (resident already)" "$(mem_mib "$out" reuse)" 1
	odd=$(awk -F, -v header="$MEM_HEADER" '
		$0 == header { for (i = 1; i <= NF; i++) col[$i] = i; on = 1; next }
		on && $0 == "" { exit }
		on && $col["faulted_bytes"] % 262144 && n++ < 5 { printf "%s %s; ", $1, $col["faulted_bytes"] }
		END { if (n > 5) printf "and %d more", n - 5 }' "$out")
	pt_eq "$label: functions whose faulted bytes are not whole samples of 64 pages" "${odd:-none}" none
}

pt_proftop "$PT_WORK/launch.csv" report --memory --format csv --limit 0 \
	--save "$PT_WORK/launch.proftop" -- "$w"
pt_eq "launched: proftop exit status" "$PT_RC" 0
check launched "$PT_WORK/launch.csv" "$PT_WORK/launch.proftop"

# Under --memory, --lines and --callers count bytes, the measure the sort
# names: here faulted bytes (--sort faulted: touch_heap's malloc is tracked
# too), 32 MiB on touch_mmap's store line, 64 MiB from main into touch_heap.
line=$(grep -n 'p\[i\] = ' "$top_srcdir/tests/workloads/memtouch.c" | cut -d: -f1)
pt_proftop "$PT_WORK/lines.csv" report --memory --sort faulted --format csv --lines touch_mmap -- "$w"
mib=$(awk -F, -v line="$line" '
	/^file,line,/ { for (i = 1; i <= NF; i++) col[$i] = i; on = 1; next }
	on && $col["line"] == line { printf "%.2f", $col["total_faulted_bytes"] / 1048576 }' \
	"$PT_WORK/lines.csv")
pt_near "--lines touch_mmap: faulted MiB on line $line" "$mib" 32 3.2
pt_proftop "$PT_WORK/callers.csv" report --memory --sort faulted --format csv --callers touch_heap -- "$w"
mib=$(awk -F, '
	/^relation,/ { for (i = 1; i <= NF; i++) col[$i] = i; on = 1; next }
	on && $1 == "caller" && $2 == "main" { printf "%.2f", $col["total_faulted_bytes"] / 1048576 }' \
	"$PT_WORK/callers.csv")
pt_near "--callers touch_heap: faulted MiB through main" "$mib" 64 6.4

# JSON: one valid document with every view; touch_heap's row in the
# memory table.
if command -v python3 >/dev/null; then
	pt_proftop "$PT_WORK/all.json" report --memory --format json --limit 0 \
		--lines touch_mmap --callers touch_heap -- "$w"
	mib=$(python3 -c '
import json, sys
text = sys.stdin.read()
d = json.loads(text[text.index("{\"command\""):])  # after the target output
rows = [r for r in d["memory_functions"] if r["function"] == "touch_heap"]
assert d["lines"]["rows"] and d["callers"]["rows"]
print("%.2f" % (rows[0]["faulted_bytes"] / 1048576.0))' <"$PT_WORK/all.json" 2>"$PT_WORK/json.err")
	pt_near "JSON: touch_heap's faulted MiB" "$mib" 64 6.4
	[ -s "$PT_WORK/json.err" ] && sed 's/^/#   /' "$PT_WORK/json.err" | tail -n 3
fi

# Attached: started first, touching nothing until SIGUSR1.
"$w" wait >"$PT_WORK/touch.out" &
pid=$!
pt_track "$pid"
for _ in $(seq 1 200); do
	grep -q ready "$PT_WORK/touch.out" 2>/dev/null && break
	sleep 0.05
done
echo "# proftop report --memory --format csv --limit 0 --save attach.proftop -p $pid"
timeout -k 5 "$PT_TIMEOUT" "$PROFTOP" report --memory --format csv --limit 0 \
	--save "$PT_WORK/attach.proftop" -p "$pid" >"$PT_WORK/attach.csv" 2>"$PT_WORK/attach.csv.err" &
tpid=$!
pt_track "$tpid"
ppid=$(pt_wait_child "$tpid") || ppid=$tpid
pt_track "$ppid"
# Sampling begins with proftop's first event, the page-fault events of each
# CPU follow: touching before the last is open would fault unseen. proftop
# says it tracks no allocations of an attached process once all are open.
attached()
{
	pt_wait_attached "$ppid" "$pid" || return 1
	for _ in $(seq 1 200); do
		grep -q 'launched programs only' "$PT_WORK/attach.csv.err" && return 0
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.05
	done
	pt_fail "expected proftop to say 'allocations are tracked for launched programs only' once its events were open; saw:"
	sed 's/^/#   /' "$PT_WORK/attach.csv.err" | head -n 5
	return 1
}
if attached; then
	kill -USR1 "$pid"
	wait "$tpid"
	rc=$?
	if [ "$rc" -ne 0 ] && grep -Eq "$PT_PERM_RE" "$PT_WORK/attach.csv.err"; then
		pt_skip "perf_event_open refused: $(head -n 1 "$PT_WORK/attach.csv.err")"
	fi
	pt_eq "attached: proftop exit status" "$rc" 0
	check attached "$PT_WORK/attach.csv" "$PT_WORK/attach.proftop"
fi
pt_finish
