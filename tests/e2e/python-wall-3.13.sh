#!/bin/bash
# --clock wall on pyenv's CPython 3.13: off-CPU waits under the Python
# function and line that waited (see python-wall-lib.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
. "$top_srcdir/tests/e2e/python-wall-lib.sh"
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
py=$(ls -d "$root"/versions/3.13*/bin/python3.13 2>/dev/null | tail -1)
[ -x "$py" ] || pt_skip "no CPython 3.13 under $root/versions (pyenv)"
pywall_check "$py"
pt_finish
