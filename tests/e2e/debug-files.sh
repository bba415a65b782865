#!/bin/bash
# Separate debug files, by the one rule of src/elf (elf-debug.c), for every
# reader: a stripped program's function names (symbols), its source lines
# (--lines), its disassembly (--disasm), its call counts (--calls, which
# resolves the function in the file for a uprobe) and --latency's return
# probes (the function's size) all come from its debug file, found
#  - by .gnu_debuglink in the program's .debug/ directory, with its CRC: a
#    debug file of other code under that name is refused;
#  - by build id under /usr/lib/debug/.build-id (installed by the test as
#    root, removed at exit).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
cc=${CC:-cc}
[ "$(id -u)" -eq 0 ] || pt_skip "needs root (installs a debug file under /usr/lib/debug)"
command -v "$cc" >/dev/null || pt_skip "no C compiler ($cc) to build the test program"
command -v objcopy >/dev/null || pt_skip "no objcopy (binutils) to split the debug info"

debug_installed=""
debug_files_cleanup()
{
	[ -n "$debug_installed" ] && rm -f "$debug_installed" &&
		rmdir "$(dirname "$debug_installed")" 2>/dev/null
	pt_cleanup
}
trap debug_files_cleanup EXIT

ROUNDS=200
cat >"$PT_WORK/spin.c" <<'EOF'
#include <stdlib.h>

/* The work directory's name: a build id of this run's own. */
__attribute__((used)) static const char tag[] = TAG;
static volatile unsigned long sink;

__attribute__((noinline)) static void linked_hot(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += (i * i) ^ (sink >> 3);
}

/* Some work too: the report's rows are the functions sampled. */
__attribute__((noinline)) void linked_counted(void)
{
	for (unsigned long i = 0; i < 1000000; i++)
		sink += i;
}

/* ROUNDS rounds of work, each calling linked_counted once. */
int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;

	for (unsigned long r = 0; r < rounds; r++) {
		linked_hot(5000000);
		linked_counted();
	}
	return 0;
}
EOF
mkdir -p "$PT_WORK/link/.debug" "$PT_WORK/id"
build()
{
	"$cc" "$@" -DTAG="\"$PT_WORK\"" "$PT_WORK/spin.c" 2>>"$PT_WORK/cc.err" ||
		pt_skip "cannot build the test program: $(head -n 1 "$PT_WORK/cc.err")"
}
# By debuglink only: no build id.
build -O1 -g -Wl,--build-id=none -o "$PT_WORK/link/spin"
(cd "$PT_WORK/link" && objcopy --only-keep-debug spin .debug/spin.debug &&
	objcopy --strip-all spin && objcopy --add-gnu-debuglink=.debug/spin.debug spin) ||
	pt_skip "objcopy could not split the debug info"
# Other code's debug file under the same name, for the CRC check.
build -O0 -g -Wl,--build-id=none -o "$PT_WORK/other"
objcopy --only-keep-debug "$PT_WORK/other" "$PT_WORK/other.debug"
# By build id only: no debuglink.
build -O1 -g -Wl,--build-id -o "$PT_WORK/id/spin.full"
(cd "$PT_WORK/id" && objcopy --only-keep-debug spin.full spin.debug &&
	objcopy --strip-all spin.full spin) || pt_skip "objcopy could not split the debug info"
build_id=$(readelf -n "$PT_WORK/id/spin" 2>/dev/null | awk '/Build ID/ { print $3 }')
[ -n "$build_id" ] || pt_skip "the linker gave no build id (-Wl,--build-id)"
for f in link/spin id/spin; do
	if readelf -S "$PT_WORK/$f" | grep -q '\.symtab'; then
		pt_skip "strip left a .symtab in $f"
	fi
done

# check_reader LABEL PROGRAM: every reader names linked_hot/linked_counted.
check_readers()
{
	local label=$1 prog=$2 out=$PT_WORK/$1 header calls
	pt_report "$out.csv" -- "$prog" 200 || return
	pt_ge "$label: functions: linked_hot self %" "$(pt_csv "$out.csv" linked_hot self_pct)" 50
	pt_eq "$label: functions: linked_hot's file" \
		"$(pt_csv "$out.csv" linked_hot file | sed 's|.*/||')" spin.c

	pt_proftop "$out.lines" report --format csv --lines linked_hot -- "$prog" 200
	if [ "$PT_RC" -eq 0 ] && awk -F, 'NR > 1 && $1 ~ /spin\.c$/ && $2 > 0 { n++ }
		END { exit !(n >= 2) }' "$out.lines"; then
		pt_ok "$label: --lines linked_hot: its spin.c lines"
	else
		pt_fail "$label: --lines linked_hot: expected spin.c lines (exit 0), saw exit $PT_RC:"
		sed 's/^/#   /' "$out.lines" "$out.lines.err" | head -n 10
	fi

	pt_proftop "$out.disasm" report --format csv --lines linked_hot --disasm -- "$prog" 200
	header=$(head -n 1 "$out.disasm")
	if [ "$PT_RC" -eq 0 ] && awk -v header="$header" "$PT_AWK_CSV"'NR > 1 { csv_split($0, f);
		n += f[col["mnemonic"]] != ""; if (f[col["mnemonic"]] ~ /^ret/) r = 1 }
		END { exit !(n >= 4 && r) }' "$out.disasm"; then
		pt_ok "$label: --disasm: linked_hot disassembled to its ret"
	else
		pt_fail "$label: --disasm: expected linked_hot's instructions and a ret, saw exit $PT_RC:"
		sed 's/^/#   /' "$out.disasm" "$out.disasm.err" | head -n 10
	fi

	pt_proftop "$out.calls" report --format csv --calls-budget 50 --calls linked_counted -- "$prog" "$ROUNDS"
	if grep -q "cannot count calls" "$out.calls.err"; then
		pt_skip "uprobes do not work here: $(grep "cannot count calls" "$out.calls.err" | head -n 1)"
	fi
	calls=$(pt_csv "$out.calls" linked_counted calls)
	pt_eq "$label: --calls linked_counted (resolved in the stripped file)" "$calls" "$ROUNDS"
	[ "$calls" = "$ROUNDS" ] || sed 's/^/#   /' "$out.calls.err" | head -n 5

	# --latency probes the function's returns, found from its size in the
	# debug file's symbol table (the stripped file has none).
	pt_proftop "$out.latency" report --format csv --calls-budget 50 --latency linked_counted -- "$prog" "$ROUNDS"
	if [ "$PT_RC" -eq 0 ] && ! grep -q "cannot find where" "$out.latency.err" &&
		grep -q "^linked_counted,spin,$ROUNDS," "$out.latency"; then
		pt_ok "$label: --latency linked_counted: $ROUNDS calls timed at its returns"
	else
		pt_fail "$label: --latency linked_counted: expected $ROUNDS calls timed at its returns (exit 0), saw exit $PT_RC:"
		grep -h "linked_counted\|cannot" "$out.latency" "$out.latency.err" | sed 's/^/#   /' | head -n 5
	fi
}

check_readers debuglink "$PT_WORK/link/spin"

# A debug file by that name with another CRC describes other code.
cp "$PT_WORK/link/.debug/spin.debug" "$PT_WORK/good.debug"
cp "$PT_WORK/other.debug" "$PT_WORK/link/.debug/spin.debug"
pt_proftop "$PT_WORK/crc.csv" report --format csv --calls linked_counted -- "$PT_WORK/link/spin" 200
pt_eq "wrong CRC: exit status" "$PT_RC" 0
if grep -q 'linked_hot' "$PT_WORK/crc.csv"; then
	pt_fail "wrong CRC: expected the debug file refused (no linked_hot), saw:"
	grep 'linked_hot' "$PT_WORK/crc.csv" | sed 's/^/#   /'
else
	pt_ok "wrong CRC: the debug file is refused (no linked_hot)"
fi
if grep -q "no function 'linked_counted'" "$PT_WORK/crc.csv.err"; then
	pt_ok "wrong CRC: --calls says: $(head -n 1 "$PT_WORK/crc.csv.err")"
else
	pt_fail "wrong CRC: expected --calls to find no linked_counted, saw: $(head -n 3 "$PT_WORK/crc.csv.err")"
fi
cp "$PT_WORK/good.debug" "$PT_WORK/link/.debug/spin.debug"

# By build id, nothing beside the program.
debug_installed=/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug
if [ -e "$debug_installed" ]; then
	debug_installed=""
	pt_fail "a debug file for build id $build_id is installed already"
else
	mkdir -p "$(dirname "$debug_installed")"
	cp "$PT_WORK/id/spin.debug" "$debug_installed"
	rm "$PT_WORK/id/spin.debug"
	check_readers build-id "$PT_WORK/id/spin"
fi
pt_finish
