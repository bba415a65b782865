#!/bin/bash
# A full disk: report -o, export -o and report --save over an existing file
# fail with one line and exit 1, the old file keeps its contents, and no
# temporary file is left (the old report -o truncated the file first).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup

[ "$(id -u)" -eq 0 ] || pt_skip "needs root (mounts a small tmpfs)"
shares=$(pt_workload shares)
S=$PT_WORK/s.proftop
pt_proftop "$PT_WORK/rec.out" record -d 1 -o "$S" -- "$shares"
[ "$PT_RC" -eq 0 ] || { pt_fail "record: expected exit status 0, saw $PT_RC: $(head -n 1 "$PT_WORK/rec.out.err")"; pt_finish; }

full=$PT_WORK/full
mkdir "$full"
if ! mount -t tmpfs -o size=64k tmpfs "$full" 2>"$PT_WORK/mount.err"; then
	pt_skip "cannot mount a tmpfs: $(head -n 1 "$PT_WORK/mount.err")"
fi
trap 'umount "$full" 2>/dev/null; pt_cleanup' EXIT

for old in report.txt export.folded saved.proftop; do
	echo "old contents of $old" >"$full/$old"
done
# Fill what is left.
dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null
echo "# free on the tmpfs: $(df -k --output=avail "$full" | tail -n 1) KiB"

check()
{
	local label=$1 file=$2
	if [ "$PT_RC" -eq 124 ] || [ "$PT_RC" -eq 137 ]; then
		pt_fail "$label: timed out"
		return
	fi
	pt_eq "$label: exit status" "$PT_RC" 1
	pt_one_line "$label" "$PT_WORK/o.err"
	pt_eq "$label: the old file's contents" "$(cat "$full/$file")" "old contents of $file"
	pt_eq "$label: files left on the tmpfs" "$(ls -A "$full" | tr '\n' ' ')" "export.folded filler report.txt saved.proftop "
}
# Larger than the page the old file frees (the old code truncated it, then
# ran out of space half way).
echo "# the report is $("$PROFTOP" report -i "$S" --format json --limit 0 | wc -c) bytes"
pt_proftop "$PT_WORK/o" report -i "$S" --format json --limit 0 -o "$full/report.txt"
check "report -o on a full disk" report.txt
pt_proftop "$PT_WORK/o" export -i "$S" -f speedscope -o "$full/export.folded"
check "export -o on a full disk" export.folded
pt_proftop "$PT_WORK/o" report -i "$S" --save "$full/saved.proftop"
check "report --save on a full disk" saved.proftop
pt_finish
