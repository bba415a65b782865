#!/bin/bash
# A stripped program whose debug file is found only through .gnu_debuglink
# (objcopy --only-keep-debug, strip, --add-gnu-debuglink: no build-id
# directory knows it) still names its static function and disassembles it in
# report --lines F --disasm: the line view looks for debug files by the same
# rule as the symbols (build id, then .gnu_debuglink in the file's
# directory, its .debug/, /usr/lib/debug/<dir>).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
cc=${CC:-cc}
command -v "$cc" >/dev/null || pt_skip "no C compiler ($cc) to build the test program"
command -v objcopy >/dev/null || pt_skip "no objcopy (binutils) to split the debug info"

mkdir -p "$PT_WORK/bin/.debug"
cat >"$PT_WORK/spin.c" <<'EOF'
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) static unsigned long spin_linked(unsigned long n)
{
	unsigned long s = 0;

	for (unsigned long i = 0; i < n; i++)
		s += (i * i) ^ (s >> 3);
	return s;
}

int main(void)
{
	for (;;)
		sink += spin_linked(1000000 + (unsigned long)(rand() & 1));
}
EOF
# No build id: only the debuglink can lead to the debug file.
if ! "$cc" -O1 -g -Wl,--build-id=none -o "$PT_WORK/bin/spin" "$PT_WORK/spin.c" \
	2>"$PT_WORK/cc.err"; then
	pt_skip "cannot build the test program: $(head -n 1 "$PT_WORK/cc.err")"
fi
(cd "$PT_WORK/bin" && objcopy --only-keep-debug spin .debug/spin.debug &&
	objcopy --strip-all spin && objcopy --add-gnu-debuglink=.debug/spin.debug spin) ||
	pt_skip "objcopy could not split the debug info"
if readelf -S "$PT_WORK/bin/spin" | grep -q symtab; then
	pt_skip "strip left a .symtab"
fi

pt_proftop "$PT_WORK/out.csv" report -d 1 --format csv --lines spin_linked --disasm -- \
	"$PT_WORK/bin/spin"
pt_eq "exit status of report --lines spin_linked --disasm" "$PT_RC" 0
header=$(head -n 1 "$PT_WORK/out.csv")
bad=$(awk -v header="$header" "$PT_AWK_CSV"'NR > 1 { csv_split($0, f); n += f[col["mnemonic"]] ~ /bad/ }
	END { print n + 0 }' "$PT_WORK/out.csv")
insns=$(awk -v header="$header" "$PT_AWK_CSV"'NR > 1 { csv_split($0, f); n += f[col["mnemonic"]] != "" }
	END { print n + 0 }' "$PT_WORK/out.csv")
pt_eq "instructions shown as (bad)" "$bad" 0
pt_ge "instructions of spin_linked" "$insns" 4
if awk -v header="$header" "$PT_AWK_CSV"'NR > 1 { csv_split($0, f); if (f[col["mnemonic"]] ~ /^ret/) r = 1;
	if (f[col["file"]] ~ /spin\.c$/ && f[col["line"]] > 0) l = 1 } END { exit !(r && l) }' \
	"$PT_WORK/out.csv"; then
	pt_ok "spin_linked disassembled to its ret, instructions carry spin.c lines"
else
	pt_fail "expected spin_linked's instructions with spin.c lines and a ret; saw:"
	sed 's/^/#   /' "$PT_WORK/out.csv" "$PT_WORK/out.csv.err" | head -n 30
fi
pt_finish
