#!/bin/bash
# What proftop writes (record -o, report --save, report -o, export -o):
# an existing path that is not a regular file of the caller (a symbolic
# link, a device node, a FIFO, another user's file) is refused with one
# line naming it, exit 1, and left as it was; what is written is mode 0600
# whatever the umask, with no temporary file left behind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=20 # the old code blocked forever opening a FIFO

[ "$(id -u)" -eq 0 ] || pt_skip "needs root (mknod, chown)"
shares=$(pt_workload shares)
S=$PT_WORK/s.proftop
pt_proftop "$PT_WORK/rec.out" record -d 1 -o "$S" -- "$shares"
[ "$PT_RC" -eq 0 ] || { pt_fail "record: expected exit status 0, saw $PT_RC: $(head -n 1 "$PT_WORK/rec.out.err")"; pt_finish; }

# The things planted under the output's name, and how to tell they are intact.
echo "the link's target" >"$PT_WORK/victim"
plant()
{
	rm -f "$PT_WORK/out"
	case $1 in
	symlink) ln -s victim "$PT_WORK/out" ;;
	device) mknod "$PT_WORK/out" c 1 3 ;; # like /dev/null, but ours to lose
	fifo) mkfifo "$PT_WORK/out" ;;
	foreign) echo "nobody's file" >"$PT_WORK/out" && chown nobody "$PT_WORK/out" ;;
	esac
}
intact()
{
	case $1 in
	symlink) [ -L "$PT_WORK/out" ] && [ "$(cat "$PT_WORK/victim")" = "the link's target" ] ;;
	device) [ -c "$PT_WORK/out" ] ;;
	fifo) [ -p "$PT_WORK/out" ] ;;
	foreign) [ "$(stat -c %U "$PT_WORK/out")" = nobody ] && [ "$(cat "$PT_WORK/out")" = "nobody's file" ] ;;
	esac
}

# writer NAME: run the writer NAME with $PT_WORK/out as its output.
writer()
{
	case $1 in
	record) pt_proftop "$PT_WORK/w" record -d 1 -o "$PT_WORK/out" -- "$shares" ;;
	save) pt_proftop "$PT_WORK/w" report -i "$S" --save "$PT_WORK/out" ;;
	report) pt_proftop "$PT_WORK/w" report -i "$S" -o "$PT_WORK/out" ;;
	export) pt_proftop "$PT_WORK/w" export -i "$S" -f folded -o "$PT_WORK/out" ;;
	esac
}

for kind in symlink device fifo foreign; do
	for w in record save report export; do
		plant "$kind"
		writer "$w"
		label="$w over a $kind"
		pt_eq "$label: exit status" "$PT_RC" 1
		pt_one_line "$label" "$PT_WORK/w.err"
		grep -qF "$PT_WORK/out" "$PT_WORK/w.err" || pt_fail "$label: expected the message to name $PT_WORK/out"
		if intact "$kind"; then
			pt_ok "$label: left as it was"
		else
			pt_fail "$label: expected the $kind to be left as it was; saw: $(ls -l "$PT_WORK/out" 2>&1)"
		fi
	done
done

# The live view's -o (on a terminal that script(1) provides): the same refusal.
if command -v script >/dev/null 2>&1; then
	plant device
	timeout -k 5 "$PT_TIMEOUT" script -qec "'$PROFTOP' -o '$PT_WORK/out' -- '$shares'" /dev/null \
		</dev/null >"$PT_WORK/tui.out" 2>&1
	rc=$?
	pt_eq "live view -o over a device: exit status" "$rc" 1
	grep -q "cannot write $PT_WORK/out: it is a character device" "$PT_WORK/tui.out" &&
		pt_ok "live view -o over a device: refused with one line" ||
		pt_fail "live view -o over a device: expected 'cannot write $PT_WORK/out: it is a character device', saw: $(tr -d '\r' <"$PT_WORK/tui.out" | head -c 200)"
	intact device && pt_ok "live view -o over a device: left as it was" ||
		pt_fail "live view -o over a device: the device was replaced: $(ls -l "$PT_WORK/out")"
else
	echo "# script(1) is not installed: the live view's -o is not checked"
fi

# Mode 0600 whatever the umask, new files and replaced ones alike.
umask 000
for w in record save report export; do
	rm -f "$PT_WORK/out"
	writer "$w"
	pt_eq "$w, umask 000: exit status" "$PT_RC" 0
	pt_eq "$w, umask 000: mode of the new file" "$(stat -c %a "$PT_WORK/out" 2>&1)" 600
	chmod 644 "$PT_WORK/out"
	writer "$w"
	pt_eq "$w, umask 000: mode of the replaced 0644 file" "$(stat -c %a "$PT_WORK/out" 2>&1)" 600
done
pt_eq "temporary files left behind" "$(find "$PT_WORK" -name '*.tmp*' | wc -l)" 0
pt_finish
