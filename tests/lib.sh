# Shared helpers of the end-to-end tests (bash; sourced by tests/e2e/*.sh).
#
# A test sources this file, calls pt_setup, runs proftop through pt_report
# or pt_proftop, checks values with pt_near / pt_ge / pt_le / pt_true, and
# ends with pt_finish. Every check prints what it expected and what it saw.
# Exit status: 0 pass, 1 fail, 77 skip (e.g. perf_event_open refused).
#
# Environment (set by `make check`, guessed otherwise): PROFTOP,
# top_srcdir, top_builddir. PT_KEEP=1 keeps the work directory.

PT_CSV_HEADER='function,module,file,line,self_samples,total_samples,self_pct,total_pct,tottime,cumtime,calls,inlined'
# What proftop (or perf) says when the kernel refuses perf_event_open.
PT_PERM_RE='perf_event_open|perf_event_paranoid|[Pp]ermission denied|[Oo]peration not permitted|EACCES|EPERM'
# A profiled run longer than this is a hang.
PT_TIMEOUT=${PT_TIMEOUT:-60}

pt_failures=0

# pt_setup: check the environment, make a work directory ($PT_WORK),
# remove it (and any process registered with pt_track) on exit.
pt_setup()
{
	PT_NAME=$(basename "$0" .sh)
	top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
	top_srcdir=${top_srcdir:-$top_builddir}
	PROFTOP=${PROFTOP:-$top_builddir/proftop}
	PT_WL=$top_builddir/tests/workloads
	if [ ! -x "$PROFTOP" ]; then
		echo "FAIL: proftop binary not found at $PROFTOP"
		exit 1
	fi
	PT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/proftop-$PT_NAME.XXXXXX") || exit 1
	pt_tracked=""
	trap pt_cleanup EXIT
	echo "# $PT_NAME: proftop=$PROFTOP work=$PT_WORK"
	pt_lock -s
}

# pt_lock -s|-x: hold the machine lock ($top_builddir/tests/.machine.lock),
# shared (every test, from pt_setup) or exclusive (pt_alone), until the
# test exits. A background shell holds it and stops when the test does,
# so no process the test starts (a tmux server, a target) inherits it.
# Waits at most 15 minutes, then goes on without it and says so.
pt_lock()
{
	local lock=$top_builddir/tests/.machine.lock fifo=$PT_WORK/.lock.fifo t0 t1 said
	pt_unlock
	command -v flock >/dev/null && : >>"$lock" 2>/dev/null && mkfifo "$fifo" 2>/dev/null || return 0
	t0=$(date +%s)
	(
		command exec 9>>"$lock" || { echo "cannot open" >"$fifo"; exit; }
		if flock "$1" -w 900 9; then
			echo locked >"$fifo"
		else
			echo timeout >"$fifo"
		fi
		while kill -0 $$ 2>/dev/null; do
			sleep 1 9>&-
		done
	) </dev/null >/dev/null 2>&1 &
	pt_lock_pid=$!
	read -r said <"$fifo"
	rm -f "$fifo"
	t1=$(date +%s)
	[ "$said" = locked ] || echo "# no machine lock after $((t1 - t0)) s: going on without it"
	[ "$1" = -x ] && echo "# the machine to this test alone after $((t1 - t0)) s"
	return 0
}

pt_unlock()
{
	[ -n "$pt_lock_pid" ] && kill "$pt_lock_pid" 2>/dev/null
	pt_lock_pid=
}

# pt_alone: run the rest of the test with no other test of `make -j`
# running beside it. For tests that compare times measured in separate
# runs: beside another profiled test, a run of tests/workloads/regress took
# up to 7% more CPU here (and 20-60% more wall time), and one such run
# among a few widens the comparison's interval past what it should see.
pt_alone()
{
	pt_lock -x
}

pt_cleanup()
{
	local pid
	for pid in $pt_tracked; do
		kill -KILL "$pid" 2>/dev/null
	done
	pt_unlock
	if [ -n "$PT_KEEP" ]; then
		echo "# kept $PT_WORK"
	else
		rm -rf "$PT_WORK"
	fi
}

# pt_track PID: kill PID at exit if it is still there.
pt_track()
{
	pt_tracked="$pt_tracked $1"
}

pt_skip()
{
	echo "SKIP: $*"
	exit 77
}

pt_fail()
{
	echo "FAIL: $*"
	pt_failures=$((pt_failures + 1))
}

pt_ok()
{
	echo "ok: $*"
}

# pt_alloc_pythons: PT_PYTHONS, the CPythons whose allocations the
# tracker names by Python frames: Debian's 3.11, pyenv's 3.12 and 3.13,
# those present; skips the test if none is.
pt_alloc_pythons()
{
	local root v py
	root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
	PT_PYTHONS=()
	[ -x /usr/bin/python3.11 ] && PT_PYTHONS+=(/usr/bin/python3.11)
	for v in 3.12 3.13; do
		py=$(ls -d "$root"/versions/$v*/bin/python$v 2>/dev/null | tail -1)
		[ -x "$py" ] && PT_PYTHONS+=("$py")
	done
	[ "${#PT_PYTHONS[@]}" -gt 0 ] ||
		pt_skip "no CPython 3.11 (Debian: python3.11) nor pyenv's 3.12 or 3.13"
}

# pt_evidence FILE [N [head|tail]]: if a check fails, pt_finish shows N
# lines (default 6) of FILE, its head or its tail, as "FAIL| ..." lines:
# CI prints a failed test's lines that start with FAIL, so what proftop
# printed reaches the CI report, not only the check that failed.
pt_evidence()
{
	pt_evidence_list="$pt_evidence_list $1:${2:-6}:${3:-head}"
}

pt_show_evidence()
{
	local e f n how
	for e in $pt_evidence_list; do
		how=${e##*:}
		e=${e%:*}
		n=${e##*:}
		f=${e%:*}
		[ -s "$f" ] || continue
		"$how" -n "$n" "$f" | cut -c1-160 | sed "s#^#FAIL| $(basename "$f"): #"
	done
}

pt_finish()
{
	if [ "$pt_failures" -gt 0 ]; then
		pt_show_evidence
		echo "# $PT_NAME: $pt_failures check(s) failed"
		exit 1
	fi
	echo "# $PT_NAME: all checks passed"
	exit 0
}

# pt_workload NAME: the path of a built workload, or skip the test.
pt_workload()
{
	local w=$PT_WL/$1
	[ -x "$w" ] || pt_skip "workload $w not built (make check builds it)"
	echo "$w"
}

# pt_proftop OUT ARG...: run "proftop ARG..." with stdout in OUT and stderr
# in OUT.err, under a timeout. Sets PT_RC (124: timed out) and PT_SECONDS
# (wall time). Skips the test when proftop says perf_event_open is refused.
pt_proftop()
{
	local out=$1 t0 t1
	shift
	echo "# proftop $*"
	t0=$(date +%s.%N)
	timeout -k 5 "$PT_TIMEOUT" "$PROFTOP" "$@" >"$out" 2>"$out.err"
	PT_RC=$?
	t1=$(date +%s.%N)
	# shellcheck disable=SC2034 # read by the tests
	PT_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	if [ "$PT_RC" -ne 0 ] && grep -Eq "$PT_PERM_RE" "$out.err"; then
		pt_skip "perf_event_open refused: $(head -n 1 "$out.err")"
	fi
	if [ "$PT_RC" -eq 124 ] || [ "$PT_RC" -eq 137 ]; then
		echo "# proftop did not finish within ${PT_TIMEOUT}s"
	fi
	return 0
}

# pt_report OUT ARG...: "proftop report --format csv ARG..."; fails the
# check (and returns 1) unless proftop exits 0 and prints the CSV header.
pt_report()
{
	local out=$1
	shift
	pt_proftop "$out" report --format csv "$@"
	if [ "$PT_RC" -ne 0 ]; then
		pt_fail "proftop report $*: expected exit status 0, saw $PT_RC; stderr:"
		sed 's/^/#   /' "$out.err" | head -n 20
		return 1
	fi
	if ! tr -d '\r' <"$out" | grep -qxE "(relation,)?$PT_CSV_HEADER"; then
		pt_fail "proftop report $*: expected the CSV header '$PT_CSV_HEADER'; output was:"
		sed 's/^/#   /' "$out" | head -n 20
		return 1
	fi
	return 0
}

# The CSV reader (awk): skips everything before the header line (the
# target's own output comes first on stdout), stops at an empty line, and
# splits RFC 4180 fields (quotes, doubled quotes, CRLF). The header is the
# function table's, or with a first "relation" column (function, caller,
# callee) in the --callers/--callees table.
PT_AWK_CSV='
function csv_split(line, f,    n, i, c, field, inq) {
	n = 0; field = ""; inq = 0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (inq) {
			if (c == "\"") {
				if (substr(line, i + 1, 1) == "\"") { field = field "\""; i++ }
				else inq = 0
			} else field = field c
		} else if (c == "\"") inq = 1
		else if (c == ",") { f[++n] = field; field = "" }
		else field = field c
	}
	f[++n] = field
	return n
}
{ sub(/\r$/, "") }
!started { if ($0 == header || $0 == "relation," header) { started = 1; csv_split($0, h); for (i in h) col[h[i]] = i }; next }
$0 == "" { exit }
'

# pt_csv FILE FUNCTION COLUMN [RELATION]: the COLUMN of the first row whose
# function is exactly FUNCTION (and whose relation is RELATION, in a
# --callers/--callees table); empty if there is none.
pt_csv()
{
	awk -v header="$PT_CSV_HEADER" -v fn="$2" -v want="$3" -v rel="$4" "$PT_AWK_CSV"'
		{ csv_split($0, f)
		  if (f[col["function"]] == fn && (rel == "" || f[col["relation"]] == rel)) {
			print f[col[want]]; exit } }' "$1"
}

# pt_csv_like FILE REGEX COLUMN: "function<TAB>value" of the first row whose
# function matches the awk REGEX.
pt_csv_like()
{
	awk -v header="$PT_CSV_HEADER" -v re="$2" -v want="$3" "$PT_AWK_CSV"'
		{ csv_split($0, f); if (f[col["function"]] ~ re) { print f[col["function"]] "\t" f[col[want]]; exit } }' "$1"
}

# pt_csv_rows FILE COL1 COL2...: the rows as tab-separated values of the
# given columns.
pt_csv_rows()
{
	local file=$1
	shift
	awk -v header="$PT_CSV_HEADER" -v cols="$*" "$PT_AWK_CSV"'
		{ n = csv_split($0, f); m = split(cols, c, " "); line = ""
		  for (i = 1; i <= m; i++) line = line (i > 1 ? "\t" : "") f[col[c[i]]]
		  print line }' "$file"
}

# pt_num VALUE: true if VALUE is a decimal number.
pt_num()
{
	[[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]
}

# pt_near LABEL SEEN EXPECTED TOLERANCE: |SEEN - EXPECTED| <= TOLERANCE.
pt_near()
{
	if ! pt_num "$2"; then
		pt_fail "$1: expected $3 ± $4, saw '${2:-nothing}'"
	elif awk -v s="$2" -v e="$3" -v t="$4" 'BEGIN { d = s - e; exit !(d <= t && -d <= t) }'; then
		pt_ok "$1: $2 (expected $3 ± $4)"
	else
		pt_fail "$1: expected $3 ± $4, saw $2"
	fi
}

# pt_shares CSV TOL FUNCTION:SHARE...: each function's self_pct, as a share
# of the functions' sum, within TOL points of SHARE (the workload's truth
# is about its own work: time the kernel or the machine takes besides it,
# more on a loaded machine, belongs to none of them), and that sum at
# least 85 (a function misnamed or lost still fails).
pt_shares()
{
	local csv=$1 tol=$2 sum=0 f v
	shift 2
	for f in "$@"; do
		v=$(pt_csv "$csv" "${f%%:*}" self_pct)
		pt_num "$v" || v=0
		sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { print a + b }')
	done
	pt_ge "the functions' self_pct summed ($*)" "$sum" 85
	for f in "$@"; do
		v=$(pt_csv "$csv" "${f%%:*}" self_pct)
		pt_near "${f%%:*} self_pct, of their sum (self_pct $v)" \
			"$(awk -v v="${v:-0}" -v s="$sum" 'BEGIN { if (s > 0) printf "%.2f", 100 * v / s; else print "none" }')" \
			"${f#*:}" "$tol"
	done
}

# pt_ge LABEL SEEN MIN and pt_le LABEL SEEN MAX.
pt_ge()
{
	if pt_num "$2" && awk -v s="$2" -v m="$3" 'BEGIN { exit !(s >= m) }'; then
		pt_ok "$1: $2 (expected >= $3)"
	else
		pt_fail "$1: expected >= $3, saw '${2:-nothing}'"
	fi
}

pt_le()
{
	if pt_num "$2" && awk -v s="$2" -v m="$3" 'BEGIN { exit !(s <= m) }'; then
		pt_ok "$1: $2 (expected <= $3)"
	else
		pt_fail "$1: expected <= $3, saw '${2:-nothing}'"
	fi
}

# pt_eq LABEL SEEN EXPECTED: string equality.
pt_eq()
{
	if [ "$2" = "$3" ]; then
		pt_ok "$1: $2"
	else
		pt_fail "$1: expected '$3', saw '$2'"
	fi
}

# pt_one_line LABEL FILE: FILE holds exactly one non-empty line.
pt_one_line()
{
	local n
	n=$(grep -c . "$2")
	if [ "$n" -eq 1 ] && [ "$(wc -l <"$2")" -le 1 ]; then
		pt_ok "$1: one line on stderr: $(cat "$2")"
	else
		pt_fail "$1: expected one line on stderr, saw $(wc -l <"$2") lines:"
		sed 's/^/#   /' "$2" | head -n 10
	fi
}

# pt_stopped_proc PID: the process's state letter and tracer from /proc.
pt_proc_state()
{
	awk '/^State:/ { s = $2 } /^TracerPid:/ { t = $2 } END { print s " " t }' "/proc/$1/status" 2>/dev/null
}

# pt_wait_gone PID SECONDS: wait until PID no longer exists (or is a
# zombie); returns 1 if it is still running after SECONDS.
pt_wait_gone()
{
	local i=0 state
	while [ "$i" -lt $(($2 * 10)) ]; do
		state=$(pt_proc_state "$1")
		case $state in
		"" | Z*) return 0 ;;
		esac
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# pt_wait_running PID EXE [TICKS]: wait (up to 10 s) until PID has exec'd
# EXE and used TICKS clock ticks of CPU (default 1), so that an attach sees
# the program itself, never the shell that forked it. Fails the test and
# returns 1 if that does not happen.
pt_wait_running()
{
	local i exe want ticks
	want=$(readlink -f "$2")
	for i in $(seq 1 200); do
		exe=$(readlink "/proc/$1/exe" 2>/dev/null)
		if [ "$exe" = "$want" ]; then
			ticks=$(awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null)
			[ "${ticks:-0}" -ge "${3:-1}" ] && return 0
		fi
		sleep 0.05
	done
	pt_fail "expected pid $1 running $want within 10 s; saw exe '$exe', ${ticks:-0} ticks"
	return 1
}

# pt_wait_child PID: print PID's first child once it has one (up to 10 s).
pt_wait_child()
{
	local i child
	for i in $(seq 1 200); do
		child=$(pgrep -P "$1" | head -n 1)
		[ -n "$child" ] && { echo "$child"; return 0; }
		sleep 0.05
	done
	return 1
}

# pt_wait_attached PROFTOP_PID TARGET_PID: wait (up to 10 s) until proftop
# has started sampling: it holds a perf_event fd, or traces the target.
pt_wait_attached()
{
	local i
	for i in $(seq 1 200); do
		if ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'perf_event' ||
			[ "$(pt_proc_state "$2" | cut -d' ' -f2)" = "$1" ]; then
			return 0
		fi
		sleep 0.05
	done
	pt_fail "expected proftop ($1) sampling $2 within 10 s"
	return 1
}

# pt_need_perf: skip unless `perf record -e cpu-clock` works here.
pt_need_perf()
{
	command -v perf >/dev/null 2>&1 || pt_skip "perf is not installed"
	if ! perf record -q -e cpu-clock -o "$PT_WORK/probe.data" -- true \
		>"$PT_WORK/probe.out" 2>&1; then
		pt_skip "perf record -e cpu-clock does not work here: $(head -n 1 "$PT_WORK/probe.out")"
	fi
}

# pt_perf_profile PERF_DATA [PERF SCRIPT OPTION...]: per function "name<TAB>self_pct<TAB>total_pct"
# from `perf script --inline` (inlined frames count as functions, as in
# proftop), user frames only (a sample in the kernel is charged to the user
# frame below it), sorted by self. Names are normalised by pt_norm_name.
pt_perf_profile()
{
	local data=$1
	shift
	perf script -i "$data" -F tid,ip,sym --inline "$@" 2>/dev/null | awk '
		function norm(s) {
			sub(/ \(inlined\)$/, "", s); sub(/\+0x[0-9a-f]+$/, "", s)
			gsub(/\.(constprop|isra|part|cold|lto_priv)(\.[0-9]+)?/, "", s)
			return s
		}
		function flush(   k) {
			if (nf > 0) {
				samples++
				self[frames[1]]++
				delete seen
				for (k = 1; k <= nf; k++)
					if (!(frames[k] in seen)) { seen[frames[k]] = 1; total[frames[k]]++ }
			}
			nf = 0
		}
		/^\t/ {
			addr = $1
			if (length(addr) == 16 && addr ~ /^ffff/) next   # kernel frame
			s = $0; sub(/^\t *[0-9a-f]+ /, "", s)
			if (s == "") s = "[unknown]"
			frames[++nf] = norm(s)
			next
		}
		{ flush() }
		END {
			flush()
			for (f in total)
				printf "%s\t%.2f\t%.2f\n", f, 100 * self[f] / samples, 100 * total[f] / samples
		}' | sort -t "$(printf '\t')" -k2,2gr
}

# pt_norm_name NAME: the comparable form of a function name (the suffixes
# GCC gives clones, .constprop.0 and the like, removed).
pt_norm_name()
{
	sed -E 's/\.(constprop|isra|part|cold|lto_priv)(\.[0-9]+)?//g' <<<"$1"
}
