#!/bin/bash
# Python frames on Debian's /usr/bin/python3.11 (_PyRuntime in the
# executable's dynamic symbols): known shares.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
. "$top_srcdir/tests/e2e/python-lib.sh"
py=/usr/bin/python3.11
[ -x "$py" ] || pt_skip "no $py (Debian's python3.11 package)"
py_check "$py"
pt_finish
