#!/bin/bash
# Keys that say what they do: every key of the help screen is in the man
# page's KEYS section and the reverse; a click on a footer label is that
# label's key; a search that finds nothing says so at once; End scrolls the
# help; z is named in the save prompt; in a saved session F9 leaves the
# footer and P and f say why they do nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
forever=$(pt_workload forever)
man=$top_srcdir/man/proftop.1
[ -r "$man" ] || pt_skip "no man page at $man"

# Section|key for each key of the man page's KEYS section.
man_keys()
{
	awk '
		/^\.SH / { on = ($2 == "KEYS"); next }
		!on { next }
		/^\.SS / { s = substr($0, 5); gsub(/"/, "", s); gsub(/\\-/, "-", s); next }
		/^\.TP/ { tp = 1; next }
		tp && /^\.BR? / {
			l = $0; sub(/^\.BR? /, "", l); gsub(/", "/, " ", l)
			gsub(/\\e/, "\\", l); gsub(/\\-/, "-", l)
			n = split(l, k, " ")
			for (i = 1; i <= n; i++) print s "|" k[i]
		}
		{ tp = 0 }' "$man" | sort -u
}

# The same from the help screen: titles at column 1, keys from column 3.
help_keys()
{
	tui_screen | awk '
		NR <= 3 { next }
		/^ [^ ]/ { s = substr($0, 2); sub(/ +$/, "", s); next }
		/^   [^ ]/ && s != "Columns" {
			k = substr($0, 4, 22)
			n = split(k, a, " ")
			for (i = 1; i <= n; i++) print s "|" a[i]
		}' | sort -u
}

tui_start 160 90 --refresh 0.2 -- "$forever"
tui_wait "running" 'pid [0-9]+ +running' 15 || pt_finish
pt_track "$(tui_screen | grep -o 'pid [0-9]*' | head -n 1 | awk '{ print $2 }')"

tui_keys '?'
tui_wait "the help" 'Help: keys' 5
tui_wait "the whole help fits" 'tottime/ncalls' 5
man_keys >"$PT_WORK/man.keys"
help_keys >"$PT_WORK/help.keys"
echo "# $(wc -l <"$PT_WORK/help.keys") keys in the help, $(wc -l <"$PT_WORK/man.keys") in the man page"
if [ -s "$PT_WORK/help.keys" ] && diff "$PT_WORK/help.keys" "$PT_WORK/man.keys" >"$PT_WORK/keys.diff"; then
	pt_ok "the help's keys are the man page's (section|key)"
else
	pt_fail "help (<) and man page KEYS (>) differ:"
	sed 's/^/#   /' "$PT_WORK/keys.diff"
fi
tui_keys Escape
# (the functions view's own footer, not the help's still on the screen)
tui_wait "back to the functions view's footer" 'F6SortBy' 5

# A footer click lands on the label clicked: the last letter of "Memory".
foot=$(tui_screen | tail -n 1)
x=$(awk -F 'Memory' '{ print length($1) + 5 }' <<<"$foot")
echo "# footer: $foot; click at column $x"
tui_click "$x" 89
tui_wait "a click on F8 Memory: the memory pane" 'Memory of the target' 5
tui_wait_not "not F9: still running" 'pid [0-9]+ +paused' 2

# A failed search says so while it is typed.
tui_keys / zzqq
tui_wait "a search that matches nothing says so at once" 'Search: zzqq .*not found' 5
tui_keys Escape

# z, then s: the prompt says what the file will hold.
tui_keys z s
tui_wait "the save prompt after z" 'Save \(only the samples since z\) to:' 5
tui_keys Escape

# End scrolls the help to its last line, on a short screen.
tui_tmux resize-window -t 0 -x 80 -y 24
tui_keys '?'
tui_wait "the help" 'Help: keys' 5
tui_keys End
tui_wait "End: the help's last line" '%self %total' 5
tui_keys Home
tui_wait "Home: its first" 'Everywhere' 5
tui_keys Escape

# A saved session: nothing to pause or freeze.
tui_keys s C-u "$PT_WORK/saved.proftop" Enter
tui_wait "saved" 'saved [0-9]+ samples' 10
tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
tui_tmux kill-server 2>/dev/null
TUI_SOCK=$TUI_SOCK-2
tui_start 120 30 -i "$PT_WORK/saved.proftop"
tui_wait "the saved session" 'saved session' 10 || pt_finish
foot=$(tui_screen | tail -n 1)
case "$foot" in
*F9*|*Pause*) pt_fail "a saved session's footer offers F9: $foot" ;;
*F10Quit*) pt_ok "a saved session's footer leaves F9 out: $foot" ;;
*) pt_fail "expected the footer to end in F10Quit, saw: $foot" ;;
esac
tui_keys P
tui_wait "P says why it does nothing" 'nothing is being sampled' 5
tui_keys f
tui_wait "f says why it does nothing" 'the display does not change' 5
tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
pt_eq "exit status after q" "$TUI_RC" 0
pt_finish
