#!/bin/bash
# The offset tables of CPython 3.11 and 3.12 (src/collect/python-layout.c)
# against the DWARF of pyenv's builds of those versions and of Debian's
# python3.11 (python3.11-dbg), read by gdb. Skips when gdb, a version or
# its debug information is absent.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v gdb >/dev/null 2>&1 || pt_skip "no gdb"
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
src="$top_srcdir/src/collect/python-layout.c"

# table VERSION: "field value" lines of layout_3XX in the source.
table()
{
	awk -v name="layout_3${1#3.}" '
		index($0, name " = {") { on = 1; next }
		on && /^};/ { exit }
		on {
			gsub(/[{}]/, ""); gsub(/\.str *= */, "")
			n = split($0, parts, ",")
			for (i = 1; i <= n; i++) {
				if (split(parts[i], kv, "=") != 2)
					continue
				k = kv[1]; v = kv[2]
				gsub(/[ \t.]/, "", k); gsub(/[ \t]/, "", v)
				print k, v
			}
		}' "$src"
}

# The DWARF's answer for each field, as gdb expressions.
exprs()
{
	local entry="" cf="(_PyCFrame *)0" gil="gil_at &((struct _is *)0)->ceval.gil"
	[ "$1" = 3.11 ] && entry="frame_is_entry &((struct _PyInterpreterFrame *)0)->is_entry"
	[ "$1" = 3.11 ] && gil="gil_at &((struct pyruntimestate *)0)->ceval.gil"
	cat <<EOT
runtime_interp_head &((struct pyruntimestate *)0)->interpreters.head
interp_next &((struct _is *)0)->next
interp_threads_head &((struct _is *)0)->threads.head
tstate_next &((struct _ts *)0)->next
tstate_native_tid &((struct _ts *)0)->native_thread_id
tstate_frame &((struct _ts *)0)->cframe
cframe_current &(($cf)->current_frame)
frame_code &((struct _PyInterpreterFrame *)0)->f_code
frame_previous &((struct _PyInterpreterFrame *)0)->previous
frame_instr &((struct _PyInterpreterFrame *)0)->prev_instr
frame_owner &((struct _PyInterpreterFrame *)0)->owner
frame_size &((struct _PyInterpreterFrame *)0)->localsplus
$entry
code_firstlineno &((PyCodeObject *)0)->co_firstlineno
code_filename &((PyCodeObject *)0)->co_filename
code_qualname &((PyCodeObject *)0)->co_qualname
code_linetable &((PyCodeObject *)0)->co_linetable
code_adaptive &((PyCodeObject *)0)->co_code_adaptive
length &((PyASCIIObject *)0)->length
state &((PyASCIIObject *)0)->state
ascii_size sizeof(PyASCIIObject)
compact_size sizeof(PyCompactUnicodeObject)
$gil
gil_locked &((struct _gil_runtime_state *)0)->locked
gil_holder &((struct _gil_runtime_state *)0)->last_holder
EOT
}

checked=0
for where in 3.11:pyenv 3.12:pyenv 3.11:/usr/bin/python3.11; do
	v=${where%%:*}
	lib=${where#*:}
	[ "$lib" = pyenv ] &&
		lib=$(ls -d "$root"/versions/$v*/lib/libpython$v.so.1.0 2>/dev/null | tail -1)
	if [ ! -f "$lib" ]; then
		echo "# no CPython $v (${where#*:})"
		continue
	fi
	table "$v" >"$PT_WORK/table-$v"
	exprs "$v" | grep . >"$PT_WORK/exprs-$v"
	args=()
	while read -r field expr; do
		args+=(-ex "printf \"$field %ld\\n\", (long)($expr)")
	done <"$PT_WORK/exprs-$v"
	timeout 300 gdb -batch -nx "${args[@]}" "$lib" >"$PT_WORK/dwarf-$v" 2>"$PT_WORK/gdb-$v.err"
	if ! grep -q '^runtime_interp_head ' "$PT_WORK/dwarf-$v"; then
		echo "# gdb found no types in $lib: $(head -n 1 "$PT_WORK/gdb-$v.err")"
		continue
	fi
	checked=1
	while read -r field want; do
		have=$(awk -v f="$field" '$1 == f { print $2 }' "$PT_WORK/table-$v")
		[ -n "$have" ] && have=$(printf '%d' "$have")
		pt_eq "CPython $v ($lib) $field (table vs DWARF)" "${have:-missing}" "$want"
	done <"$PT_WORK/dwarf-$v"
done
[ "$checked" = 1 ] || pt_skip "no CPython 3.11 or 3.12 with debug information"
pt_finish
