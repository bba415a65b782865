#!/bin/bash
# The man pages: a .TH date in YYYY-MM-DD form (mandoc warns on others)
# and no warning from groff -ww (nor from mandoc -T lint, when installed).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v groff >/dev/null || pt_skip "groff is not installed"
for page in man/proftop.1 man/proftop-session.5; do
	f=$top_srcdir/$page
	date=$(awk '/^\.TH/ { gsub(/"/, "", $4); print $4; exit }' "$f")
	if [[ $date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
		pt_ok "$page: .TH date $date"
	else
		pt_fail "$page: expected a .TH date YYYY-MM-DD, saw '$date'"
	fi
	groff -man -ww -z "$f" >"$PT_WORK/groff" 2>&1
	if [ -s "$PT_WORK/groff" ]; then
		pt_fail "$page: expected no groff -man -ww warning, saw:"
		sed 's/^/#   /' "$PT_WORK/groff" | head -n 10
	else
		pt_ok "$page: groff -man -ww -z is quiet"
	fi
	if command -v mandoc >/dev/null; then
		mandoc -T lint -W warning "$f" >"$PT_WORK/mandoc" 2>&1
		if [ -s "$PT_WORK/mandoc" ]; then
			pt_fail "$page: expected no mandoc -T lint warning, saw:"
			sed 's/^/#   /' "$PT_WORK/mandoc" | head -n 10
		else
			pt_ok "$page: mandoc -T lint is quiet"
		fi
	fi
done
pt_finish
