#!/bin/bash
# report --lines shows the machine code when the source is gone (and with
# --disasm when asked): a spinning leaf function's samples land on its own
# instructions, the hottest marked, calls named.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
cc=${CC:-cc}
command -v "$cc" >/dev/null || pt_skip "no C compiler ($cc) to build the test program"

cat >"$PT_WORK/spin.c" <<'EOF'
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) static unsigned long spin_hot(unsigned long n)
{
	unsigned long s = 0;

	for (unsigned long i = 0; i < n; i++)
		s += (i * i) ^ (s >> 3);
	return s;
}

int main(void)
{
	for (;;)
		sink += spin_hot(1000000 + (unsigned long)(rand() & 1));
}
EOF
if ! "$cc" -O1 -g -o "$PT_WORK/spin" "$PT_WORK/spin.c" 2>"$PT_WORK/cc.err"; then
	pt_skip "cannot build the test program: $(head -n 1 "$PT_WORK/cc.err")"
fi
rm "$PT_WORK/spin.c" # the source is gone: the line view falls back

pt_proftop "$PT_WORK/text.txt" report -d 1 --lines spin_hot -- "$PT_WORK/spin"
pt_eq "exit status of report --lines (no source)" "$PT_RC" 0
if grep -q "^Machine code of spin_hot" "$PT_WORK/text.txt" &&
	grep -q "source not available: .*spin.c: No such file" "$PT_WORK/text.txt"; then
	pt_ok "the line view fell back to the machine code, saying why"
else
	pt_fail "expected 'Machine code of spin_hot' and 'source not available'; saw:"
	sed 's/^/#   /' "$PT_WORK/text.txt" "$PT_WORK/text.txt.err" | head -n 30
fi
hot=$(grep -c '^\*' "$PT_WORK/text.txt")
pt_eq "instructions marked hottest" "$hot" 1
grep '^\*' "$PT_WORK/text.txt" | sed 's/^/# /'

pt_proftop "$PT_WORK/out.csv" report -d 1 --format csv --lines spin_hot --disasm -- \
	"$PT_WORK/spin"
pt_eq "exit status of report --disasm" "$PT_RC" 0
header=$(head -n 1 "$PT_WORK/out.csv")
pt_eq "CSV header" "$header" \
	"address,size,bytes,mnemonic,operands,file,line,self_samples,total_samples,self_pct,total_pct,callee"
# spin_hot is a leaf that takes nearly all the time (~1 s at 997 Hz; less
# on a busy machine, so only a floor on the count)
csv_sum()
{
	awk -v header="$header" -v want="$1" "$PT_AWK_CSV"'
		{ csv_split($0, f); s += f[col[want]]; n += f[col[want]] > 0 }
		END { printf "%s\n", (ENVIRON["PT_COUNT"] ? n : s) }' "$PT_WORK/out.csv"
}
# (a floor low enough for a 2-CPU machine running the suite in parallel:
# the target may get a tenth of a CPU for its second)
pt_ge "samples on spin_hot's instructions" "$(csv_sum self_samples)" 30
# (the rest: samples taken in the kernel on top of spin_hot)
pct=$(csv_sum self_pct)
pt_ge "self % summed over the instructions" "$pct" 90
pt_le "self % summed over the instructions" "$pct" 100.5
pt_ge "instructions with samples" "$(PT_COUNT=1 csv_sum self_samples)" 2
if awk -v header="$header" "$PT_AWK_CSV"'{ csv_split($0, f); if (f[col["mnemonic"]] ~ /^ret/) found = 1 }
	END { exit !found }' "$PT_WORK/out.csv"; then
	pt_ok "the function's return instruction is listed"
else
	pt_fail "expected a ret instruction among spin_hot's; saw:"
	sed 's/^/#   /' "$PT_WORK/out.csv" | head -n 30
fi

pt_proftop "$PT_WORK/usage.txt" report --disasm -- "$PT_WORK/spin"
pt_eq "exit status of --disasm without --lines" "$PT_RC" 2
if grep -q -- "--disasm.*--lines" "$PT_WORK/usage.txt.err"; then
	pt_ok "the usage error names --lines"
else
	pt_fail "expected a usage error naming --lines; saw: $(head -n 2 "$PT_WORK/usage.txt.err")"
fi
pt_finish
