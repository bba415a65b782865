#!/bin/bash
# report --modules: one line per module the samples went through, with its
# path, build id and where its symbols came from; the same modules live
# (-- COMMAND) and from a session (-i), in text, CSV and JSON.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
s=$(pt_workload shares)
exe=$(readlink -f "$s")
HEADER='module,path,build_id,symbols_from,samples'

# csv_check LABEL FILE: the CSV has the header, one row per path, the
# executable's row with samples; prints the paths to FILE.paths.
csv_check()
{
	local label=$1 f=$2 rows dups row
	# The launched target's own output goes to the terminal too: the
	# table is the header's line and the 5-field lines after it.
	if ! tr -d '\r' <"$f" | grep -qxF "$HEADER"; then
		pt_fail "$label: expected the header '$HEADER'; saw:"
		sed 's/^/#   /' "$f" "$f.err" | head -n 10
		return 1
	fi
	pt_ok "$label: header $HEADER"
	# Paths hold no commas here: split on them.
	awk -F, -v h="$HEADER" '$0 == h { on = 1; next } on && NF == 5 { print $2 }' "$f" >"$f.paths"
	rows=$(wc -l <"$f.paths")
	dups=$(sort "$f.paths" | uniq -d | head -n 3 | tr '\n' ' ')
	pt_ge "$label: module rows" "$rows" 2
	pt_eq "$label: paths listed twice (one row per module)" "$dups" ""
	row=$(awk -F, -v p="$exe" 'NF == 5 && $2 == p' "$f")
	if [ -z "$row" ]; then
		pt_fail "$label: expected a row for $exe; saw paths: $(tr '\n' ' ' <"$f.paths")"
		return 1
	fi
	pt_eq "$label: module name of the executable" "$(cut -d, -f1 <<<"$row")" shares
	pt_ge "$label: samples through the executable" "$(awk -F, '{ print $NF }' <<<"$row")" 50
	# Where its symbols came from: the workload is built with -g, its
	# symbols are in the file.
	from=$(cut -d, -f4 <<<"$row")
	pt_eq "$label: where the executable's symbols came from" "$from" "symbols in the file"
	# every module with samples says where its names came from
	local unknown
	unknown=$(awk -F, 'NR > 1 && NF >= 5 && $4 == "" { print $1 }' "$f" | tr '\n' ' ')
	pt_eq "$label: modules without a source" "$unknown" ""
}

pt_proftop "$PT_WORK/live.csv" report -F 499 --modules --format csv -- "$s" 0.5
pt_eq "live: exit status" "$PT_RC" 0
csv_check live "$PT_WORK/live.csv"

pt_proftop "$PT_WORK/rec.out" record -F 499 -o "$PT_WORK/s.proftop" -- "$s" 0.5
pt_eq "record: exit status" "$PT_RC" 0
pt_proftop "$PT_WORK/s.csv" report -i "$PT_WORK/s.proftop" --modules --format csv
pt_eq "report -i --modules: exit status" "$PT_RC" 0
csv_check session "$PT_WORK/s.csv"

# Text: after the header, one line per module holding its path and name.
pt_proftop "$PT_WORK/s.txt" report -i "$PT_WORK/s.proftop" --modules
pt_eq "text: exit status" "$PT_RC" 0
if grep -q '^ *samples  module  *path  *build id  *symbols from$' "$PT_WORK/s.txt"; then
	pt_ok "text: the column titles"
else
	pt_fail "text: expected the titles 'samples module path build id symbols from'; saw:"
	sed 's/^/#   /' "$PT_WORK/s.txt" | head -n 20
fi
awk '/^ *samples  module/ { on = 1; next } on' "$PT_WORK/s.txt" >"$PT_WORK/s.table"
while read -r path; do
	n=$(grep -cF " $path " "$PT_WORK/s.table")
	pt_eq "text: lines naming $path" "$n" 1
done <"$PT_WORK/s.csv.paths"
lines=$(grep -c . "$PT_WORK/s.table")
pt_eq "text: module lines (as many as CSV rows)" "$lines" "$(wc -l <"$PT_WORK/s.csv.paths")"
if grep -qE "^ +[0-9]+  shares +$exe " "$PT_WORK/s.txt"; then
	pt_ok "text: the executable's line: samples, name, path"
else
	pt_fail "text: expected a line 'SAMPLES  shares  $exe ...'; saw:"
	sed 's/^/#   /' "$PT_WORK/s.txt" | head -n 20
fi
# The functions table is not printed with --modules.
if grep -q 'Ordered by' "$PT_WORK/s.txt"; then
	pt_fail "text: expected no functions table with --modules"
else
	pt_ok "text: no functions table"
fi

# JSON: the same modules.
pt_proftop "$PT_WORK/s.json" report -i "$PT_WORK/s.proftop" --modules --format json
pt_eq "json: exit status" "$PT_RC" 0
if command -v python3 >/dev/null 2>&1; then
	seen=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
m = d["modules"]
assert d["modules_total"] == len(m)
assert all(set(r) == {"module", "path", "build_id", "symbols_from", "samples"} for r in m)
print("\n".join(r["path"] for r in m))' "$PT_WORK/s.json" 2>&1)
	pt_eq "json: the modules' paths (as in CSV)" "$seen" "$(cat "$PT_WORK/s.csv.paths")"
else
	echo "# python3 missing: the JSON is not parsed"
fi

# CSV holds one table.
pt_proftop "$PT_WORK/two.csv" report -i "$PT_WORK/s.proftop" --modules --memory --format csv
pt_eq "--modules --memory --format csv: usage error" "$PT_RC" 2
if head -n 1 "$PT_WORK/two.csv.err" | grep -q 'csv shows one table'; then
	pt_ok "the usage error: $(head -n 1 "$PT_WORK/two.csv.err")"
else
	pt_fail "expected 'csv shows one table: ...'; saw: $(head -n 1 "$PT_WORK/two.csv.err")"
fi
pt_finish
