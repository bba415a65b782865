#!/bin/bash
# proftop's memory profiling against heaptrack (issue 14: the target's
# slowdown at least 5x smaller than under heaptrack at default settings,
# per-function totals that agree). Two workloads:
#    memalloc  tests/workloads/memalloc: few allocations, many bytes, every
#              page touched (300 MiB in 1 KiB blocks, 100 MiB in 1 MiB
#              blocks, 10 MiB leaked, 1 GiB allocated and freed): ~107,000
#              page faults, page zeroing; its CPU time varies by tenths of
#              a second on a shared machine
#    memtree   tests/workloads/memtree: the common kind of program, many
#              small allocations between computations (a hash map of
#              string keys built, looked up and torn down, 8 rounds: 1.6
#              million allocations), a heap reused round after round
#              (3,800 page faults): the cost per allocation shows, where
#              heaptrack pays for every call and proftop samples
# Each round runs, in a rotated order:
#    alone     the target by itself
#    default   proftop report --memory -- target   (page-fault samples,
#              the tracker at one sample every 64 KiB; no CPU samples:
#              report --memory prints none)
#    withcpu   ... -F 997                          (and CPU samples at the
#              default rate: what the live view and record pay)
#    nofaults  ... --no-faults                     (the tracker alone)
#    noalloc   ... --no-alloc                      (page faults alone)
#    cpuonly   ... --no-alloc --no-faults -F 997   (CPU samples alone)
#    exact     ... --alloc-sample 1                (every allocation)
#    tracker   bench/alloc-sink: the tracker (64 KiB) with its ring read and
#              thrown away, no proftop: its own cost inside the target
#    heaptrack heaptrack -- target                 (every allocation)
# and takes the target's own CPU time (all its threads; it prints it:
# --time), so the profilers' start and their work after the run are not
# counted, but the kernel's work for proftop's samples is (taken in the
# target's context). CPU time is the measure: on a machine shared with
# others the run time mostly shows how long the target waited for a CPU.
# Within a round: each configuration's added CPU (its CPU time less
# alone's) and heaptrack's added CPU over proftop default's (the issue's
# ratio; an added CPU below 10 ms counts as 10 ms); each round printed,
# then median [min .. max] over the rounds, with the load average, and the
# ratio of the medians (steadier when proftop's share is within the noise,
# where a round's ratio swings from a few to tens), and each
# configuration's lowest CPU less alone's lowest (noise only adds). Also
# the bytes each function allocated by itself as proftop and heaptrack saw
# them (heaptrack: from its data file, each allocation's size summed by the
# function that called malloc), against the truth. Prints; asserts nothing.
#
# Usage: bench/alloc-bench.sh [BUILDDIR]      (bench/bench.sh calls it)
# Environment: BENCH_ROUNDS (default 9), BENCH_ALLOC_SCALE (default 1;
# BENCH_QUICK: 0.25, 2 rounds), BENCH_ALLOC_WORKLOADS (default
# "memalloc memtree"), BENCH_ALLOC_MODES (default: all of the above).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
PROFTOP=${PROFTOP:-$builddir/proftop}
RUNS=${BENCH_ROUNDS:-9}
SCALE=${BENCH_ALLOC_SCALE:-1}
if [ -n "$BENCH_QUICK" ]; then
	RUNS=${BENCH_ROUNDS:-2}
	SCALE=${BENCH_ALLOC_SCALE:-0.25}
fi
WORKLOADS=${BENCH_ALLOC_WORKLOADS:-memalloc memtree}
ALL_MODES=${BENCH_ALLOC_MODES:-alone default withcpu nofaults noalloc cpuonly exact tracker heaptrack}

echo
echo "== memory profiling: proftop vs heaptrack, target CPU time, --scale $SCALE, $RUNS rounds in rotated order"
if [ ! -x "$PROFTOP" ]; then
	echo "needs $PROFTOP: skipped"
	exit 0
fi
modes=
for mode in $ALL_MODES; do
	case $mode in
	tracker)
		[ -x "$builddir/bench/alloc-sink" ] && [ -f "$builddir/proftop-alloc.so" ] ||
			continue
		;;
	heaptrack)
		if ! command -v heaptrack >/dev/null 2>&1; then
			echo "(heaptrack is not installed: no heaptrack column; tools/install-deps installs it)"
			continue
		fi
		;;
	esac
	modes="$modes $mode"
done
case " $modes " in
*" alone "*) ;;
*) modes="alone$modes" ;;
esac
bench_workdir alloc-bench
BASE=$W

# heaptrack_self FILE: "function bytes calls" per function that called an
# allocation function, from heaptrack's data file (s: strings, i: code
# addresses with their function, t: traces (leaf address, parent), a:
# allocation kinds (size, trace), +: one allocation of a kind; hex).
heaptrack_self()
{
	local cat=cat
	case $1 in
	*.zst) cat=zstdcat ;;
	*.gz) cat=zcat ;;
	esac
	$cat "$1" | awk '
	function hex(s,   i, n, c) {
		n = 0; s = tolower(s)
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789abcdef", substr(s, i, 1)) - 1
			if (c < 0) break
			n = n * 16 + c
		}
		return n
	}
	$1 == "s" { str[++ns] = substr($0, length($1) + length($2) + 3) }
	$1 == "i" { ni++; fn[ni] = NF >= 4 ? str[hex($4)] : "?" }
	$1 == "t" { nt++; leaf[nt] = hex($2) }
	$1 == "a" { kind_size[na] = hex($2); kind_trace[na] = hex($3); na++ }
	$1 == "+" { k = hex($2); f = fn[leaf[kind_trace[k]]]; bytes[f] += kind_size[k]; calls[f]++ }
	END { for (f in bytes) printf "%s %.0f %.0f\n", f, bytes[f], calls[f] }'
}

# run MODE N: prints "cpu_s elapsed_s" then "FUNC bytes" for each of FUNCS
# ("n/a" where none), one line. The workload is $TARGET (with its
# arguments).
run()
{
	local mode=$1 t=$W/$1.$2 el f v
	case $mode in
	alone) "${TARGET[@]}" >"$t.out" 2>"$t.err" ;;
	default) "$PROFTOP" report --memory --format csv -- \
		"${TARGET[@]}" >"$t.out" 2>"$t.err" ;;
	withcpu) "$PROFTOP" report --memory -F 997 --format csv -- \
		"${TARGET[@]}" >"$t.out" 2>"$t.err" ;;
	nofaults) "$PROFTOP" report --memory --no-faults --format csv -- \
		"${TARGET[@]}" >"$t.out" 2>"$t.err" ;;
	noalloc) "$PROFTOP" report --memory --no-alloc --format csv -- \
		"${TARGET[@]}" >"$t.out" 2>"$t.err" ;;
	cpuonly) "$PROFTOP" report --memory --no-alloc --no-faults -F 997 --format csv -- \
		"${TARGET[@]}" >"$t.out" 2>"$t.err" ;;
	exact) "$PROFTOP" report --memory --alloc-sample 1 --format csv -- \
		"${TARGET[@]}" >"$t.out" 2>"$t.err" ;;
	tracker) "$builddir/bench/alloc-sink" "$builddir/proftop-alloc.so" 65536 \
		"${TARGET[@]}" >"$t.out" 2>"$t.err" ;;
	heaptrack)
		heaptrack -o "$t.ht" "${TARGET[@]}" >"$t.out" 2>"$t.err"
		heaptrack_self "$(ls "$t".ht* 2>/dev/null | head -n 1)" >"$t.self"
		rm -f "$t".ht*
		;;
	esac
	el=$(sed -n 's/^elapsed \([0-9.]*\) s cpu \([0-9.]*\) s.*/\2 \1/p' "$t.err" "$t.out" | tail -n 1)
	printf '%s' "${el:-n/a n/a}"
	for f in $FUNCS; do
		case $mode in
		default | exact) v=$(awk -F, -v f="$f" '$1 == f { print $4; exit }' "$t.out") ;;
		heaptrack) v=$(awk -v f="$f" '$1 == f { print $2; exit }' "$t.self") ;;
		*) v= ;;
		esac
		printf ' %s' "${v:-n/a}"
	done
	echo
	cut -d' ' -f1 /proc/loadavg >"$t.load"
}

# added MODE N [COL]: MODE's CPU time (COL 1, the default; 2: its run
# time) less alone's in round N (s), or nothing
added()
{
	local c=${3:-1}
	[ -f "$W/$1.$2.row" ] || return
	awk -v c="$c" -v a="$(cut -d' ' -f"$c" "$W/alone.$2.row")" '
		$c != "n/a" && a != "n/a" { printf "%.3f\n", $c - a }' "$W/$1.$2.row"
}

# ratio H P: heaptrack's added CPU over proftop's (10 ms at least)
ratio()
{
	[ -n "$1" ] && [ -n "$2" ] &&
		awk -v h="$1" -v p="$2" 'BEGIN { if (p < 0.01) p = 0.01; printf "%.1f\n", h / p }'
}

# truth: the bytes function $F of the workload asked for (memtree says
# it; memalloc's are its header's, times the scale)
truth()
{
	local mib
	case $F in
	small_blocks) mib=300 ;;
	big_blocks) mib=100 ;;
	leak_blocks) mib=10 ;;
	churn_blocks) mib=1024 ;;
	*)
		awk -v f="$F" '$1 == "allocated" && $2 == f { print $3; exit }' "$W/alone.1.err"
		return
		;;
	esac
	awk -v m="$mib" -v s="$SCALE" 'BEGIN { printf "%.0f\n", m * 1048576 * s }'
}

bench_workload()
{
	local n mode line d r cols
	W=$BASE/$WL
	mkdir -p "$W"
	echo
	echo "-- $WL: ${TARGET[*]}"
	if [ ! -x "${TARGET[0]}" ]; then
		echo "needs ${TARGET[0]} (make check builds it): skipped"
		return
	fi
	rounds $modes
	cat "$W"/*.load | spread %.2f >"$W/load.spread"

	echo "added target CPU per round (s; heaptrack/default: heaptrack's added CPU over proftop default's):"
	printf '%-6s %7s %5s' round alone load
	for mode in $modes; do [ "$mode" = alone ] || printf ' %9s' "$mode"; done
	printf ' %s\n' "heaptrack/default"
	for n in $(seq "$RUNS"); do
		printf '%-6s %7s %5s' "$n" "$(cut -d' ' -f1 "$W/alone.$n.row")" \
			"$(cat "$W"/*."$n".load | sort -g | tail -n 1)"
		for mode in $modes; do
			[ "$mode" = alone ] && continue
			d=$(added "$mode" "$n")
			echo "$d" >>"$W/added.$mode"
			printf ' %9s' "${d:-n/a}"
		done
		r=$(ratio "$(added heaptrack "$n")" "$(added default "$n")")
		echo "$r" >>"$W/ratio"
		printf ' %s\n' "${r:-n/a}x"
	done
	echo "median [min .. max] over $RUNS rounds; load average $(cat "$W/load.spread"):"
	echo "target alone: CPU $(cut -d' ' -f1 "$W"/alone.*.row | spread %.3f ' s'), run time $(cut -d' ' -f2 "$W"/alone.*.row | spread %.2f ' s')"
	for mode in $modes; do
		[ "$mode" = alone ] && continue
		printf '%-10s added CPU %s\n' "$mode" "$(spread %.3f ' s' <"$W/added.$mode")"
	done
	# Noise on a shared machine only ever adds time: each configuration's
	# lowest CPU over the rounds is its cost with the least interference.
	lowest() { cut -d' ' -f"${2:-1}" "$W"/"$1".*.row | grep -v n/a | sort -g | head -n 1; }
	echo "lowest CPU over the rounds, less alone's lowest (the least disturbed estimate):"
	for mode in $modes; do
		[ "$mode" = alone ] && continue
		d=$(awk -v m="$(lowest "$mode")" -v a="$(lowest alone)" \
			'BEGIN { if (m != "" && a != "") printf "%.3f", m - a }')
		printf '%-10s added CPU %s s\n' "$mode" "${d:-n/a}"
		echo "$d" >"$W/lowest.$mode"
	done
	if [ -s "$W/lowest.heaptrack" ] && [ -s "$W/lowest.default" ]; then
		echo "heaptrack's / proftop default's, lowest against lowest:" \
			"$(ratio "$(cat "$W/lowest.heaptrack")" "$(cat "$W/lowest.default")")x"
	fi
	if [ -s "$W/added.heaptrack" ] && [ -s "$W/added.default" ]; then
		r=$(spread %.1f x <"$W/ratio")
		echo "heaptrack's added CPU / proftop default's: $r per round;" \
			"the medians' ratio $(ratio "$(spread %.3f <"$W/added.heaptrack" | cut -d' ' -f1)" \
				"$(spread %.3f <"$W/added.default" | cut -d' ' -f1)")x"
		summary "memory: heaptrack's added CPU / proftop default's ($WL)" "$r" \
			"$(spread %.3f ' s' <"$W/added.default")" \
			"heaptrack $(spread %.3f ' s' <"$W/added.heaptrack")"
	fi
	if [ -s "$W/added.withcpu" ] && [ -s "$W/added.heaptrack" ]; then
		echo "heaptrack's added CPU / proftop withcpu's (memory and CPU, as the live view):" \
			"the medians' ratio $(ratio "$(spread %.3f <"$W/added.heaptrack" | cut -d' ' -f1)" \
				"$(spread %.3f <"$W/added.withcpu" | cut -d' ' -f1)")x;" \
			"lowest against lowest $(ratio "$(cat "$W/lowest.heaptrack")" "$(cat "$W/lowest.withcpu")")x"
	fi

	# The run time: what the target's user waits, the tools' own
	# processes and the target's waits for them (heaptrack's pipe) in it;
	# noisier than CPU time where the machine is shared.
	echo "added run time (the target's own, start to end), median [min .. max], and lowest less alone's lowest:"
	for mode in $modes; do
		[ "$mode" = alone ] && continue
		for n in $(seq "$RUNS"); do added "$mode" "$n" 2; done >"$W/added_run.$mode"
		d=$(awk -v m="$(lowest "$mode" 2)" -v a="$(lowest alone 2)" \
			'BEGIN { if (m != "" && a != "") printf "%.3f", m - a }')
		echo "$d" >"$W/lowest_run.$mode"
		printf '%-10s added run time %s; lowest %s s\n' "$mode" \
			"$(spread %.3f ' s' <"$W/added_run.$mode")" "${d:-n/a}"
	done
	if [ -s "$W/added_run.heaptrack" ] && [ -s "$W/added_run.default" ]; then
		r=$(ratio "$(spread %.3f <"$W/added_run.heaptrack" | cut -d' ' -f1)" \
			"$(spread %.3f <"$W/added_run.default" | cut -d' ' -f1)")
		for n in $(seq "$RUNS"); do
			ratio "$(added heaptrack "$n" 2)" "$(added default "$n" 2)"
		done >"$W/ratio_run"
		echo "heaptrack's added run time / proftop default's: $(spread %.1f x <"$W/ratio_run") per round;" \
			"the medians' ratio ${r}x;" \
			"lowest against lowest $(ratio "$(cat "$W/lowest_run.heaptrack")" "$(cat "$W/lowest_run.default")")x"
		summary "memory: heaptrack's added run time / proftop default's, medians ($WL)" "${r}x" \
			"$(spread %.3f ' s' <"$W/added_run.default")" \
			"heaptrack $(spread %.3f ' s' <"$W/added_run.heaptrack")"
	fi
	if [ -s "$W/added_run.withcpu" ] && [ -s "$W/added_run.heaptrack" ]; then
		echo "heaptrack's added run time / proftop withcpu's: the medians' ratio" \
			"$(ratio "$(spread %.3f <"$W/added_run.heaptrack" | cut -d' ' -f1)" \
				"$(spread %.3f <"$W/added_run.withcpu" | cut -d' ' -f1)")x;" \
			"lowest against lowest $(ratio "$(cat "$W/lowest_run.heaptrack")" "$(cat "$W/lowest_run.withcpu")")x"
	fi

	echo "bytes allocated by each function itself (round 1; truth at --scale $SCALE):"
	printf '%-14s %14s %14s %14s %14s\n' function truth default exact heaptrack
	cols=3
	for F in $FUNCS; do
		printf '%-14s %14s' "$F" "$(truth)"
		for mode in default exact heaptrack; do
			printf ' %14s' "$(cut -d' ' -f$cols "$W/$mode.1.row" 2>/dev/null || echo n/a)"
		done
		echo
		cols=$((cols + 1))
	done
	for mode in default exact; do
		grep -h 'records dropped\|allocations not tracked' "$W"/$mode.*.err 2>/dev/null |
			head -n 1 | sed "s/^/$mode: /"
	done
}

for WL in $WORKLOADS; do
	case $WL in
	memalloc)
		TARGET=("$builddir/tests/workloads/memalloc" --time --scale "$SCALE")
		FUNCS="small_blocks big_blocks leak_blocks churn_blocks"
		;;
	memtree)
		TARGET=("$builddir/tests/workloads/memtree" --time --scale "$SCALE")
		FUNCS="new_key new_record grow_table"
		;;
	*)
		echo "unknown workload $WL (memalloc, memtree)"
		continue
		;;
	esac
	bench_workload
done
exit 0
