#!/bin/bash
# Python frames on pyenv's CPython 3.12 (offset table): known shares, with
# the perf backend (frames read as the reader copies the sample) and ptrace.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
. "$top_srcdir/tests/e2e/python-lib.sh"
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
py=$(ls -d "$root"/versions/3.12*/bin/python3.12 2>/dev/null | tail -1)
[ -x "$py" ] || pt_skip "no CPython 3.12 under $root/versions (pyenv)"
py_check "$py"
# The ptrace backend reads the Python frames with the thread stopped.
echo "# again with --backend ptrace"
py_check "$py" --backend ptrace -F 250
pt_finish
