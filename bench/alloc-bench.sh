#!/bin/bash
# The allocation tracker against heaptrack on tests/workloads/memalloc
# (300 MiB in 1 KiB blocks, 100 MiB in 1 MiB blocks, 10 MiB leaked, 1 GiB
# allocated and freed). Each round runs, in a rotated order:
#    alone     the target by itself
#    noalloc   proftop report --memory --no-alloc -- target   (proftop without the tracker)
#    sampled   proftop report --memory -- target             (default: one sample every 64 KiB)
#    exact     proftop report --memory --alloc-sample 1 -- target
#    tracker   bench/alloc-sink: the tracker (64 KiB) with its ring read and
#              thrown away, no proftop: its own cost inside the target
#    heaptrack heaptrack -- target                            (every allocation)
# and takes the target's own CPU time and run time (it prints them: --time),
# so the profilers' start and their reports after the run are not counted.
# CPU time (all the target's threads; what a tracker inside it costs, and
# the kernel's work for proftop's samples) is the measure: on a machine
# shared with others the run time mostly shows how long the target waited
# for a CPU. Within a round: each one's slowdown (its CPU time less
# alone's) and heaptrack's slowdown over proftop's (with and without the
# tracker's own share: sampled less noalloc); then median [min .. max]
# over the rounds. Also
# the bytes each function allocated by itself as proftop and heaptrack saw
# them (heaptrack: from its data file, each allocation's size summed by the
# function that called malloc), against the truth. Prints; asserts nothing.
#
# Usage: bench/alloc-bench.sh [BUILDDIR]      (bench/bench.sh calls it)
# Environment: BENCH_ROUNDS (default 5), BENCH_ALLOC_SCALE (default 1;
# BENCH_QUICK: 0.25, 2 rounds).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
builddir=$(cd "${1:-.}" && pwd) || exit 1
PROFTOP=${PROFTOP:-$builddir/proftop}
MEMALLOC=$builddir/tests/workloads/memalloc
RUNS=${BENCH_ROUNDS:-5}
SCALE=${BENCH_ALLOC_SCALE:-1}
if [ -n "$BENCH_QUICK" ]; then
	RUNS=${BENCH_ROUNDS:-2}
	SCALE=${BENCH_ALLOC_SCALE:-0.25}
fi
FUNCS="small_blocks big_blocks leak_blocks churn_blocks"

echo
echo "== allocation tracking: memalloc --scale $SCALE, proftop vs heaptrack, $RUNS rounds in rotated order"
if [ ! -x "$MEMALLOC" ] || [ ! -x "$PROFTOP" ]; then
	echo "needs $PROFTOP and $MEMALLOC (make check builds it): skipped"
	exit 0
fi
modes="alone noalloc sampled exact"
[ -x "$builddir/bench/alloc-sink" ] && [ -f "$builddir/proftop-alloc.so" ] && modes="$modes tracker"
if command -v heaptrack >/dev/null 2>&1; then
	modes="$modes heaptrack"
else
	echo "(heaptrack is not installed: no heaptrack column; tools/install-deps installs it)"
fi
bench_workdir alloc-bench

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
# ("n/a" where none), one line.
run()
{
	local mode=$1 t=$W/$1.$2 el f
	case $mode in
	alone) "$MEMALLOC" --time --scale "$SCALE" >"$t.out" 2>"$t.err" ;;
	noalloc) "$PROFTOP" report --memory --no-alloc --format csv -- \
		"$MEMALLOC" --time --scale "$SCALE" >"$t.out" 2>"$t.err" ;;
	sampled) "$PROFTOP" report --memory --format csv -- \
		"$MEMALLOC" --time --scale "$SCALE" >"$t.out" 2>"$t.err" ;;
	exact) "$PROFTOP" report --memory --alloc-sample 1 --format csv -- \
		"$MEMALLOC" --time --scale "$SCALE" >"$t.out" 2>"$t.err" ;;
	tracker) "$builddir/bench/alloc-sink" "$builddir/proftop-alloc.so" 65536 \
		"$MEMALLOC" --time --scale "$SCALE" >"$t.out" 2>"$t.err" ;;
	heaptrack)
		heaptrack -o "$t.ht" "$MEMALLOC" --time --scale "$SCALE" >"$t.out" 2>"$t.err"
		heaptrack_self "$(ls "$t".ht* 2>/dev/null | head -n 1)" >"$t.self"
		rm -f "$t".ht*
		;;
	esac
	el=$(sed -n 's/^elapsed \([0-9.]*\) s cpu \([0-9.]*\) s.*/\2 \1/p' "$t.err" "$t.out" | tail -n 1)
	printf '%s' "${el:-n/a n/a}"
	for f in $FUNCS; do
		case $mode in
		sampled | exact) v=$(awk -F, -v f="$f" '$1 == f { print $4; exit }' "$t.out") ;;
		heaptrack) v=$(awk -v f="$f" '$1 == f { print $2; exit }' "$t.self") ;;
		*) v= ;;
		esac
		printf ' %s' "${v:-n/a}"
	done
	echo
}

rounds $modes

# per round: CPU slowdowns (s), run time factors, heaptrack's slowdown
# over proftop's (whole; the tracker's own share: sampled less noalloc)
for n in $(seq "$RUNS"); do
	read -r a aw _ <"$W/alone.$n.row"
	read -r na _ <"$W/noalloc.$n.row"
	for mode in $modes; do
		[ "$mode" = alone ] && continue
		awk -v a="$a" -v aw="$aw" -v s="$W/slow.$mode" -v f="$W/factor.$mode" '
			$1 != "n/a" && a != "n/a" { printf "%.3f\n", $1 - a >>s }
			$2 != "n/a" && aw != "n/a" && aw > 0 { printf "%.3f\n", $2 / aw >>f }' \
			"$W/$mode.$n.row"
	done
	[ -f "$W/heaptrack.$n.row" ] || continue
	read -r h _ <"$W/heaptrack.$n.row"
	for mode in sampled exact tracker; do
		[ -f "$W/$mode.$n.row" ] || continue
		read -r p _ <"$W/$mode.$n.row"
		# a slowdown within the noise counts as 10 ms
		awk -v a="$a" -v h="$h" -v p="$p" -v na="$na" -v r="$W/ratio.$mode" -v o="$W/own.$mode" '
			BEGIN { if (a == "n/a" || h == "n/a" || p == "n/a") exit
				d = p - a; if (d < 0.01) d = 0.01
				printf "%.2f\n", (h - a) / d >>r
				if (na == "n/a" || r ~ /tracker$/) exit
				d = p - na; if (d < 0.01) d = 0.01
				printf "%.2f\n", (h - a) / d >>o }'
	done
done

echo "target alone: CPU $(cut -d' ' -f1 "$W"/alone.*.row | spread %.2f ' s'), run time $(cut -d' ' -f2 "$W"/alone.*.row | spread %.2f ' s')"
printf '%-10s %-28s %-24s %-26s %s\n' mode "CPU slowdown (s)" "run time / alone" \
	"heaptrack's / this one's" "heaptrack's / the tracker's own"
for mode in $modes; do
	[ "$mode" = alone ] && continue
	r=- o=-
	[ -s "$W/ratio.$mode" ] && r=$(spread %.1f x <"$W/ratio.$mode")
	[ -s "$W/own.$mode" ] && o=$(spread %.1f x <"$W/own.$mode")
	printf '%-10s %-28s %-24s %-26s %s\n' "$mode" "$(spread %.3f ' s' <"$W/slow.$mode")" \
		"$(spread %.2f x <"$W/factor.$mode")" "$r" "$o"
done
[ -s "$W/ratio.sampled" ] &&
	summary "alloc tracking: heaptrack's CPU slowdown / proftop's (memalloc)" "-" \
		"$(spread %.1f x <"$W/ratio.sampled")" "-"

echo
echo "bytes allocated by each function itself (first round; truth at --scale $SCALE):"
printf '%-14s %14s %14s %14s %14s\n' function truth sampled exact heaptrack
i=3
for f in $FUNCS; do
	case $f in
	small_blocks) truth=$((300 << 20)) ;;
	big_blocks) truth=$((100 << 20)) ;;
	leak_blocks) truth=$((10 << 20)) ;;
	churn_blocks) truth=$((1024 << 20)) ;;
	esac
	truth=$(awk -v t="$truth" -v s="$SCALE" 'BEGIN { printf "%.0f", t * s }')
	printf '%-14s %14s' "$f" "$truth"
	for mode in sampled exact heaptrack; do
		printf ' %14s' "$(cut -d' ' -f$i "$W/$mode.1.row" 2>/dev/null || echo n/a)"
	done
	echo
	i=$((i + 1))
done
for mode in sampled exact; do
	grep -h 'records dropped\|allocations not tracked' "$W"/$mode.*.err 2>/dev/null | head -n 1 |
		sed "s/^/$mode: /"
done
exit 0
