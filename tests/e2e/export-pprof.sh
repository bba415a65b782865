#!/bin/bash
# pprof export of a recorded session, decoded by protoc with pprof's message
# definitions (tests/data/profile.proto): a gzip file whose samples add up to
# the session's and whose functions name the workload's.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v protoc >/dev/null 2>&1 || pt_skip "protoc is not installed (Debian: protobuf-compiler)"
. "$top_srcdir/tests/e2e/export-lib.sh"
ex_record

out=$PT_WORK/shares.pb.gz
ex_export "$out" -f pprof
if gzip -t "$out" 2>"$PT_WORK/gzip.err"; then
	pt_ok "a valid gzip file"
else
	pt_fail "gzip -t: $(head -n 1 "$PT_WORK/gzip.err")"
	pt_finish
fi
dec=$PT_WORK/decoded.txt
if ! gzip -dc "$out" | protoc --decode=perftools.profiles.Profile \
	-I "$top_srcdir/tests/data" "$top_srcdir/tests/data/profile.proto" >"$dec" 2>"$dec.err"; then
	pt_fail "protoc --decode failed: $(head -n 3 "$dec.err")"
	pt_finish
fi
pt_ok "protoc decoded $(grep -c '^sample {' "$dec") samples"

# Per sample: values [samples, cpu ns]; the first adds up to the session's.
read -r count ns bad < <(awk '
	/^sample \{/ { in_s = 1; nv = 0; next }
	in_s && /^}/ { in_s = 0; if (nv != 2) bad++; next }
	in_s && /^  value: / { nv++; if (nv == 1) c += $2; else n += $2 }
	END { printf "%.0f %.0f %.0f\n", c, n, bad }' "$dec")
pt_eq "samples with other than 2 values" "$bad" 0
pt_eq "the samples' counts add up to the session's samples" "$count" "$EX_SAMPLES"
pt_near "the samples' cpu ns add up to the session's CPU time" "$ns" "$EX_CPU_NS" 1000

# String table: "" first, then the names; the functions name the workload.
first=$(grep -m1 '^string_table: ' "$dec")
pt_eq "string_table[0]" "$first" 'string_table: ""'
strings=$(sed -n 's/^string_table: "\(.*\)"$/\1/p' "$dec")
for s in samples count cpu nanoseconds main run work_sixty work_thirty work_ten; do
	if grep -qxF "$s" <<<"$strings"; then
		pt_ok "string table holds '$s'"
	else
		pt_fail "string table: expected '$s' in it"
	fi
done
# The names of the Functions and the period type, through the string table
# (protoc prints the table last).
resolve='
	/^string_table: / { s = $0; sub(/^string_table: "/, "", s); sub(/"$/, "", s); str[n++] = s }
	/^[a-z_]+ \{/ { block = $1; next }
	/^}/ { block = ""; next }
	block == want && $1 == field ":" { idx[m++] = $2 }
	END { for (i = 0; i < m; i++) print str[idx[i]] }'
fn_names=$(awk -v want=function -v field=name "$resolve" "$dec")
for fn in work_sixty work_thirty work_ten run main; do
	if grep -qxF "$fn" <<<"$fn_names"; then
		pt_ok "a Function named $fn"
	else
		pt_fail "expected a Function named $fn; functions: $(tr '\n' ' ' <<<"$fn_names" | head -c 300)"
	fi
done
pt_eq "period type" "$(awk -v want=period_type -v field=type "$resolve" "$dec")/$(awk -v want=period_type -v field=unit "$resolve" "$dec")" "cpu/nanoseconds"
pt_ge "mappings" "$(grep -c '^mapping {' "$dec")" 1
pt_finish
