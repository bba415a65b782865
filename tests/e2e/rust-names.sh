#!/bin/bash
# Rust names are demangled, legacy and v0 alike, without the "::h0123..."
# hash and "$LT$" escapes (as rustfilt and perf print them):
# "r::hot::spin" and "<r::Pair as r::Worker>::work", half the time each
# (total: u64::wrapping_mul and friends are inlined into them).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
rustc=${RUSTC:-rustc}
command -v "$rustc" >/dev/null || pt_skip "no Rust compiler ($rustc) to build the test program"
src=$top_srcdir/tests/workloads/rust-names.rs
# The crate is named r: the names below are known by construction.
if ! "$rustc" -O -g --crate-name r -o "$PT_WORK/r-legacy" "$src" 2>"$PT_WORK/rustc.err" ||
	! "$rustc" -O -g --crate-name r -C symbol-mangling-version=v0 -o "$PT_WORK/r-v0" "$src" \
		2>>"$PT_WORK/rustc.err"; then
	pt_skip "cannot build the Rust program: $(head -n 1 "$PT_WORK/rustc.err")"
fi

for mangling in legacy v0; do
	pt_report "$PT_WORK/$mangling.csv" -d 2 --limit 0 -- "$PT_WORK/r-$mangling" || continue
	pt_near "$mangling: r::hot::spin total_pct" \
		"$(pt_csv "$PT_WORK/$mangling.csv" 'r::hot::spin' total_pct)" 50 8
	pt_near "$mangling: <r::Pair as r::Worker>::work total_pct" \
		"$(pt_csv "$PT_WORK/$mangling.csv" '<r::Pair as r::Worker>::work' total_pct)" 50 8
	raw=$(awk -F, 'NR > 1 && ($1 ~ /::h[0-9a-f]+$/ || $1 ~ /\$(LT|GT|u20)\$/ || $1 ~ /^_[RZ]/) { print $1 }' \
		"$PT_WORK/$mangling.csv" | head -n 3)
	pt_eq "$mangling: names still mangled or hashed" "${raw:-none}" none
done
pt_finish
