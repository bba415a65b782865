#!/bin/bash
# Programs whose allocations the tracker cannot see say so in one line and
# are profiled all the same: a statically linked executable (nothing can be
# preloaded), a set-user-ID copy owned by someone else (the loader ignores
# LD_PRELOAD), an attached process (allocation tracking needs a launch).
# So are a program that defines malloc itself and a script started
# through env(1).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload memalloc)
src=${top_srcdir:-$top_builddir}/tests/workloads

# one_alloc_line LABEL FILE REGEX: exactly one line of FILE mentions
# allocations, and it matches REGEX.
one_alloc_line()
{
	local lines
	lines=$(grep -i 'allocation' "$2")
	if [ "$(grep -ci 'allocation' "$2")" -ne 1 ]; then
		pt_fail "$1: expected one line about allocations on stderr, saw:"
		sed 's/^/#   /' "$2" | head -n 10
	elif ! grep -Eq "$3" <<<"$lines"; then
		pt_fail "$1: expected a line matching '$3', saw: $lines"
	else
		pt_ok "$1: $lines"
	fi
}

# profiled LABEL OUT: proftop exited 0, the program ran to its end.
profiled()
{
	pt_eq "$1: proftop exit status" "$PT_RC" 0
	if grep -q '^checksum' "$2" && grep -q 'exited with status 0' "$2"; then
		pt_ok "$1: the program ran and was profiled"
	else
		pt_fail "$1: expected the program's checksum and 'exited with status 0'; saw:"
		sed 's/^/#   /' "$2" | head -n 10
	fi
}

# A statically linked copy, where the toolchain can build one.
if gcc -O2 -static -pthread -I"$src" -o "$PT_WORK/memalloc-static" "$src/memalloc.c" \
	>"$PT_WORK/gcc.err" 2>&1; then
	pt_proftop "$PT_WORK/static.out" report --memory -- "$PT_WORK/memalloc-static" --scale 0.05
	profiled "static" "$PT_WORK/static.out"
	one_alloc_line "static" "$PT_WORK/static.out.err" 'not tracked.*statically linked'
else
	echo "# gcc -static does not work here (no static libc?): $(head -n 1 "$PT_WORK/gcc.err")"
fi

# A program with its own malloc (exported, as the loader would use it).
cat >"$PT_WORK/own.c" <<'END'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static char pool[1 << 20];
static size_t used;
void *malloc(size_t n) { void *p = pool + used; used += (n + 15) & ~15ul; return used <= sizeof(pool) ? p : NULL; }
void free(void *p) { (void)p; }
void *calloc(size_t k, size_t n) { void *p = malloc(k * n); if (p) memset(p, 0, k * n); return p; }
void *realloc(void *o, size_t n) { void *p = malloc(n); if (p && o) memcpy(p, o, n); return p; }
int main(void) { char *s = malloc(100); strcpy(s, "ok"); printf("checksum %s\n", s); return 0; }
END
if gcc -O2 -o "$PT_WORK/own" "$PT_WORK/own.c" 2>"$PT_WORK/gcc2.err"; then
	pt_proftop "$PT_WORK/own.out" report --memory -- "$PT_WORK/own"
	profiled "own malloc" "$PT_WORK/own.out"
	one_alloc_line "own malloc" "$PT_WORK/own.out.err" 'its own malloc'
fi

# A set-user-ID copy owned by nobody (root runs it with nobody's euid).
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	d=$PT_WORK/suid
	mkdir -p "$d" && chmod 755 "$PT_WORK" "$d"
	cp "$w" "$d/memalloc" && chown nobody "$d/memalloc" && chmod 4755 "$d/memalloc"
	pt_proftop "$PT_WORK/suid.out" report --memory -- "$d/memalloc" --scale 0.05
	profiled "set-user-ID" "$PT_WORK/suid.out"
	one_alloc_line "set-user-ID" "$PT_WORK/suid.out.err" 'not tracked.*set-user-ID'
else
	echo "# not root (or no user nobody): no set-user-ID case"
fi

# A script started through env(1): env is all the tracker would see.
printf '#!/usr/bin/env bash\necho checksum 1\n' >"$PT_WORK/script.sh"
chmod +x "$PT_WORK/script.sh"
pt_proftop "$PT_WORK/script.out" report --memory -- "$PT_WORK/script.sh"
profiled "script through env" "$PT_WORK/script.out"
one_alloc_line "script through env" "$PT_WORK/script.out.err" 'through /usr/bin/env.*proftop -- bash'

# Attached: allocation tracking needs a launch.
"$w" --scale 4 >/dev/null 2>&1 &
pid=$!
pt_track "$pid"
pt_proftop "$PT_WORK/attach.out" report --memory -d 1 -p "$pid"
pt_eq "attached: proftop exit status" "$PT_RC" 0
one_alloc_line "attached" "$PT_WORK/attach.out.err" 'launched programs only'
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pt_finish
