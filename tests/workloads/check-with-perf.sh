#!/bin/bash
# Confirms the workloads' known shares with perf itself (not part of
# `make check`): perf record -e cpu-clock --call-graph dwarf on each
# workload, then self/total per function from perf script --inline, the
# same aggregation the agreement test uses.
# Usage: tests/workloads/check-with-perf.sh [BUILDDIR] [WORKLOAD...]
builddir=${1:-.}
shift
top_builddir=$(cd "$builddir" && pwd)
. "$(dirname "$0")/../lib.sh"
PT_WORK=$(mktemp -d) || exit 1
trap 'rm -rf "$PT_WORK"' EXIT
W=$top_builddir/tests/workloads
[ $# -gt 0 ] || set -- shares shares-fp inline recursion threads cxx crash memory
for w in "$@"; do
	echo "== $w"
	(ulimit -c 0; perf record -q -e cpu-clock -F 997 --call-graph dwarf \
		-o "$PT_WORK/$w.data" -- "$W/$w" >/dev/null 2>&1)
	printf '%-45s %7s %7s\n' function self% total%
	pt_perf_profile "$PT_WORK/$w.data" | head -n 8 |
		awk -F '\t' '{ printf "%-45s %7s %7s\n", $1, $2, $3 }'
done
