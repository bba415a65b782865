#!/bin/bash
# Exports of a session with memory records: pprof's heap values (decoded by
# protoc), callgrind's AllocBytes and Allocs (read by callgrind_annotate),
# folded and speedscope with --weight bytes add up to the records; a
# session without allocations (page faults are not exported) exports byte
# for byte as one without any record. The records are added to a recorded
# session with sqlite3, on its own stacks.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v sqlite3 >/dev/null 2>&1 || pt_skip "sqlite3 is not installed (Debian: sqlite3)"
command -v protoc >/dev/null 2>&1 || pt_skip "protoc is not installed (Debian: protobuf-compiler)"
. "$top_srcdir/tests/e2e/export-lib.sh"
ex_record
cpu=$EX_SESSION

# Twenty of the sampled stacks get an allocation each, alternately heap
# (freed) and mmap (live), n * 64 bytes standing for n allocations.
faults=$PT_WORK/faults.proftop
mem=$PT_WORK/mem.proftop
cp "$cpu" "$faults"
# (record keeps the page faults it sampled: those go first)
sqlite3 "$faults" "DELETE FROM allocs; INSERT INTO allocs SELECT 0, 1000, NULL, 4096, 8192, 0, stack, tid, 2
	FROM samples LIMIT 1" || pt_fail "sqlite3 could not add a page fault record"
cp "$cpu" "$mem"
sqlite3 "$mem" "DELETE FROM allocs; INSERT OR REPLACE INTO meta VALUES ('alloc_sample', 1);
	INSERT INTO allocs SELECT n - 1, n * 1000, CASE WHEN n % 2 = 0 THEN n * 1000 + 500 END,
		64, 64 * n, n, stack, tid, n % 2
	FROM (SELECT row_number() OVER (ORDER BY stack) AS n, stack, tid FROM
		(SELECT stack, min(tid) AS tid FROM samples GROUP BY stack
		 ORDER BY count(*) DESC, stack LIMIT 20));
	INSERT INTO allocs SELECT count(*), 5000, NULL, 4096, 4096, 0, 1, 0, 2 FROM allocs" ||
	pt_fail "sqlite3 could not add allocation records"
read -r bytes allocs live_bytes live_allocs < <(sqlite3 -separator ' ' "$mem" \
	"SELECT sum(bytes), sum(allocs), sum(CASE WHEN free_time IS NULL THEN bytes ELSE 0 END),
	 sum(CASE WHEN free_time IS NULL THEN allocs ELSE 0 END) FROM allocs WHERE kind IN (0, 1)")
echo "# allocations added: $bytes bytes, $allocs allocations, $live_bytes bytes ($live_allocs) live"
pt_ge "allocation bytes added" "${bytes:-0}" 64

# The session with records loads (proftop checks every record).
pt_proftop "$PT_WORK/mem.report" report -i "$mem" --format csv
pt_eq "report -i of the session with allocations: exit status" "$PT_RC" 0

# Page faults only: every format exactly as without them.
for f in folded speedscope pprof callgrind; do
	pt_proftop "$PT_WORK/cpu.$f" export -i "$cpu" -f "$f"
	pt_proftop "$PT_WORK/faults.$f" export -i "$faults" -f "$f"
	if [ -s "$PT_WORK/cpu.$f" ] && cmp -s "$PT_WORK/cpu.$f" "$PT_WORK/faults.$f"; then
		pt_ok "$f: a session with page faults only exports as one without ($(wc -c <"$PT_WORK/cpu.$f") bytes)"
	else
		pt_fail "$f: expected the same export with page-fault records as without; cmp: $(cmp "$PT_WORK/cpu.$f" "$PT_WORK/faults.$f" 2>&1)"
	fi
done

# pprof: six values per Sample, CPU's first; each sums to the records'.
EX_SESSION=$mem
ex_export "$PT_WORK/mem.pb.gz" -f pprof
dec=$PT_WORK/mem.pprof.txt
if ! gzip -dc "$PT_WORK/mem.pb.gz" | protoc --decode=perftools.profiles.Profile \
	-I "$top_srcdir/tests/data" "$top_srcdir/tests/data/profile.proto" >"$dec" 2>"$dec.err"; then
	pt_fail "protoc --decode failed: $(head -n 3 "$dec.err")"
	pt_finish
fi
types=$(awk 'BEGIN { m = 0; n = 0 }
	/^string_table: / { s = $0; sub(/^string_table: "/, "", s); sub(/"$/, "", s); str[n++] = s }
	/^sample_type \{/ { in_t = 1; next }
	in_t && /^}/ { in_t = 0; next }
	in_t && $1 == "type:" { t[m] = $2 } in_t && $1 == "unit:" { u[m++] = $2 }
	/^default_sample_type: / { d = $2 }
	END { for (i = 0; i < m; i++) printf "%s/%s ", str[t[i]], str[u[i]]; printf "default=%s", str[d] }' "$dec")
pt_eq "pprof sample types" "$types" \
	"samples/count cpu/nanoseconds alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes default=cpu"
read -r nbad s1 s3 s4 s5 s6 < <(awk '
	/^sample \{/ { in_s = 1; nv = 0; next }
	in_s && /^}/ { in_s = 0; if (nv != 6) bad++; next }
	in_s && /^  value: / { v[++nv] += $2 }
	END { printf "%d %.0f %.0f %.0f %.0f %.0f\n", bad, v[1], v[3], v[4], v[5], v[6] }' "$dec")
pt_eq "pprof Samples without 6 values" "$nbad" 0
pt_eq "pprof samples (as in the session)" "$s1" "$EX_SAMPLES"
pt_eq "pprof alloc_objects" "$s3" "$allocs"
pt_eq "pprof alloc_space" "$s4" "$bytes"
pt_eq "pprof inuse_objects" "$s5" "$live_allocs"
pt_eq "pprof inuse_space" "$s6" "$live_bytes"

# callgrind: callgrind_annotate reads the three events and their totals.
ex_export "$PT_WORK/mem.callgrind" -f callgrind
if command -v callgrind_annotate >/dev/null 2>&1; then
	if callgrind_annotate "$PT_WORK/mem.callgrind" >"$PT_WORK/annotate.txt" 2>&1; then
		# "1,915 (100.0%) 13,440 (100.0%) 210 (100.0%)  PROGRAM TOTALS"
		tot=$(awk '/PROGRAM TOTALS/ { gsub(",", ""); gsub(/\( *[0-9.]+%\)/, ""); print $1, $2, $3; exit }' \
			"$PT_WORK/annotate.txt")
		pt_eq "callgrind_annotate's program totals (Samples AllocBytes Allocs)" "$tot" \
			"$EX_SAMPLES $bytes $allocs"
	else
		pt_fail "callgrind_annotate failed: $(head -n 3 "$PT_WORK/annotate.txt")"
	fi
else
	echo "# callgrind_annotate missing (Debian: valgrind): only the summary line is checked"
fi
pt_eq "callgrind events" "$(grep '^events: ' "$PT_WORK/mem.callgrind")" "events: Samples AllocBytes Allocs"
self=$(awk '/^[0-9]/ && !skip { b += $3; a += $4 } /^calls=/ { skip = 1; next } { skip = 0 }
	END { printf "%.0f %.0f", b, a }' "$PT_WORK/mem.callgrind")
pt_eq "callgrind self AllocBytes and Allocs, summed over the lines" "$self" "$bytes $allocs"

# folded and speedscope: bytes allocated with --weight bytes.
ex_export "$PT_WORK/mem.folded" -f folded --weight bytes
pt_eq "folded --weight bytes: the counts' sum" \
	"$(awk '{ s += $NF } END { printf "%.0f", s }' "$PT_WORK/mem.folded")" "$bytes"
ex_export "$PT_WORK/mem.speedscope.json" -f speedscope --weight bytes
pt_eq "speedscope --weight bytes: units, weights' sum" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted({p["unit"] for p in d["profiles"]})), sum(sum(p["weights"]) for p in d["profiles"]))' \
	"$PT_WORK/mem.speedscope.json")" "bytes $bytes"

# Nothing allocated: --weight bytes says so.
pt_proftop "$PT_WORK/none.folded" export -i "$cpu" -f folded --weight bytes
pt_eq "--weight bytes of a session without allocations: exit status" "$PT_RC" 1
if grep -q "nothing to export: the profile holds no memory records" "$PT_WORK/none.folded.err"; then
	pt_ok "it says: $(cat "$PT_WORK/none.folded.err")"
else
	pt_fail "expected 'nothing to export: the profile holds no memory records'; saw: $(cat "$PT_WORK/none.folded.err")"
fi
pt_one_line "--weight bytes without allocations" "$PT_WORK/none.folded.err"
pt_finish
