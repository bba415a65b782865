#!/bin/bash
# --clock wall on Debian's /usr/bin/python3.11: off-CPU waits under the
# Python function and line that waited (see python-wall-lib.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
. "$top_srcdir/tests/e2e/python-wall-lib.sh"
py=/usr/bin/python3.11
[ -x "$py" ] || pt_skip "no $py (Debian's python3.11 package)"
pywall_check "$py"
pt_finish
