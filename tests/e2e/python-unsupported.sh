#!/bin/bash
# CPython versions without Python frames (3.10, 2.7 from pyenv): one line
# "unsupported CPython X.Y, showing native frames", and the native frames.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
ran=0
for v in 3.10 2.7; do
	py=$(ls -d "$root"/versions/$v*/bin/python$v 2>/dev/null | tail -1)
	if [ ! -x "$py" ]; then
		echo "# no CPython $v under $root/versions (pyenv)"
		continue
	fi
	ran=1
	pt_report "$PT_WORK/$v.csv" -- "$py" -c 'x = 0
for i in range(3000000): x += i' || continue
	pt_eq "CPython $v: lines saying it is unsupported" \
		"$(grep -c "unsupported CPython $v, showing native frames" "$PT_WORK/$v.csv.err")" 1
	pt_eq "CPython $v: stderr has nothing else from proftop" \
		"$(grep -v "unsupported CPython" "$PT_WORK/$v.csv.err" | grep -c '^proftop')" 0
	pt_eq "CPython $v: no [python] frames" "$(grep -c '\[python\]' "$PT_WORK/$v.csv")" 0
	pt_ge "CPython $v: rows of the native eval loop" \
		"$(grep -c '^\(_PyEval_EvalFrameDefault\|PyEval_EvalFrameEx\),' "$PT_WORK/$v.csv")" 1
done
[ "$ran" = 1 ] || pt_skip "neither CPython 3.10 nor 2.7 under $root/versions (pyenv)"
pt_finish
