#!/bin/bash
# A session saved by `report --save` and reopened with `report -i` prints
# byte for byte what the live run printed, in every format and view; the
# line view works with the sources gone; export -i writes every format.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares)
S=$PT_WORK/s.proftop

# Each view: a live report of shares, saved to $S (the last is kept).
views=(
	"--format text"
	"--format csv --sort tottime --limit 3 -r"
	"--format text --lines work_sixty --callers work_ten --memory"
	"--format json --lines work_thirty --callees run --memory"
	"--format json"
)
i=0
for v in "${views[@]}"; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # the view is a list of options
	pt_proftop "$PT_WORK/run$i" report --save "$S" $v --output "$PT_WORK/live$i" -- "$w" 0.2
	if [ "$PT_RC" -ne 0 ]; then
		pt_fail "report --save $v: expected exit status 0, saw $PT_RC"
		sed 's/^/#   /' "$PT_WORK/run$i.err" | head -n 5
		continue
	fi
	# shellcheck disable=SC2086
	pt_proftop "$PT_WORK/saved$i" report -i "$S" $v
	if [ "$PT_RC" -eq 0 ] && cmp -s "$PT_WORK/live$i" "$PT_WORK/saved$i"; then
		pt_ok "report -i $v: identical to the live run ($(wc -c <"$PT_WORK/live$i") bytes)"
	else
		pt_fail "report -i $v: expected the live run's report (exit 0), saw exit $PT_RC and:"
		diff "$PT_WORK/live$i" "$PT_WORK/saved$i" | head -n 10 | sed 's/^/#   /'
	fi
done

# The line view without the sources: a program built here, its source
# removed after recording.
if command -v cc >/dev/null; then
	mkdir -p "$PT_WORK/src"
	cat >"$PT_WORK/src/lines.c" <<'EOF'
#include <stdint.h>
volatile uint64_t sink = 1;

__attribute__((noinline)) void crunch(uint64_t n)
{
	uint64_t x = sink | 1;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL; /* the hot line */
		x ^= x >> 29;
	}
	sink = x;
}

int main(void)
{
	for (int r = 0; r < 100; r++)
		crunch(3000000);
	return 0;
}
EOF
	if cc -O2 -g -o "$PT_WORK/lines" "$PT_WORK/src/lines.c" 2>"$PT_WORK/cc.err"; then
		pt_proftop "$PT_WORK/l.run" report --save "$PT_WORK/l.proftop" --lines crunch \
			--output "$PT_WORK/l.live" -- "$PT_WORK/lines"
		pt_eq "report --lines of a program built here" "$PT_RC" 0
		if grep -q "the hot line" "$PT_WORK/l.live"; then
			pt_ok "the live line view shows the source"
		else
			pt_fail "expected the source text in the live line view; saw:"
			sed 's/^/#   /' "$PT_WORK/l.live" | head -n 20
		fi
		rm -rf "$PT_WORK/src"
		pt_proftop "$PT_WORK/l.saved" report -i "$PT_WORK/l.proftop" --lines crunch
		if [ "$PT_RC" -eq 0 ] && cmp -s "$PT_WORK/l.live" "$PT_WORK/l.saved"; then
			pt_ok "report -i --lines without the sources: identical to the live run"
		else
			pt_fail "report -i --lines without the sources: expected the live view, saw:"
			diff "$PT_WORK/l.live" "$PT_WORK/l.saved" | head -n 20 | sed 's/^/#   /'
		fi
	else
		echo "# cc failed, line view without sources not checked: $(head -n 1 "$PT_WORK/cc.err")"
	fi
else
	echo "# no C compiler: line view without sources not checked"
fi

# export -i: every format from the saved session (their contents are
# checked against their consumers by the export tests).
samples=$(awk -F'"samples":' 'NR == 1 { split($2, a, ","); print a[1] }' "$PT_WORK/live${#views[@]}")
for f in folded speedscope pprof callgrind; do
	pt_proftop "$PT_WORK/x.$f.run" export -i "$S" -f "$f" -o "$PT_WORK/x.$f"
	if [ "$PT_RC" -eq 0 ] && [ -s "$PT_WORK/x.$f" ]; then
		pt_ok "export -i -f $f: $(wc -c <"$PT_WORK/x.$f") bytes"
	else
		pt_fail "export -i -f $f: expected exit 0 and a file, saw exit $PT_RC: $(cat "$PT_WORK/x.$f.run.err")"
	fi
done
pt_eq "folded stacks from the session sum to its samples" \
	"$(awk '{ s += $NF } END { print s }' "$PT_WORK/x.folded" 2>/dev/null)" "$samples"
pt_finish
