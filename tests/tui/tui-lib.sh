# Helpers of the TUI tests (bash; sourced by tests/tui/*.sh after
# tests/lib.sh): proftop runs inside a detached tmux of a fixed size on a
# private socket, keys go in with send-keys, the screen comes back with
# capture-pane. Every wait polls with a timeout; the tmux server is killed
# at exit whatever happened.
#
#   tui_setup                      after pt_setup: skip without tmux
#   tui_start COLS ROWS ARG...     proftop ARG... in the pane
#   tui_wait LABEL REGEX [SECS]    until the screen matches (fails the check if not)
#   tui_keys KEY...                tmux send-keys
#   tui_screen                     the screen now
#   tui_first_row                  the function on the first row of the table
#   tui_wait_exit [SECS]           until proftop exited; TUI_RC is its status

TUI_TIMEOUT=${TUI_TIMEOUT:-30}

tui_setup()
{
	command -v tmux >/dev/null 2>&1 || pt_skip "tmux is not installed"
	TUI_SOCK=proftop-test-$$-$PT_NAME
	trap tui_cleanup EXIT
}

tui_cleanup()
{
	tmux -L "$TUI_SOCK" kill-server 2>/dev/null
	pt_cleanup
}

tui_tmux()
{
	tmux -L "$TUI_SOCK" -f /dev/null "$@"
}

# The pane runs a script that records the terminal modes before and after
# proftop, its stderr and its exit status, then stays (so the screen after
# proftop can be read).
tui_start()
{
	local cols=$1 rows=$2 q a
	shift 2
	q=$(printf '%q ' "$PROFTOP" "$@")
	echo "# proftop $* (in tmux ${cols}x$rows)"
	rm -f "$PT_WORK/rc"
	cat >"$PT_WORK/run.sh" <<EOF
export LC_ALL=${TUI_LC_ALL:-C.UTF-8} TERM=\${TUI_TERM:-\$TERM}
$([ -n "$TUI_NO_COLOR" ] && echo "export NO_COLOR=1" || echo "unset NO_COLOR")
stty -g >"$PT_WORK/stty.before"
$q 2>"$PT_WORK/stderr"
echo \$? >"$PT_WORK/rc.tmp"
stty -g >"$PT_WORK/stty.after"
mv "$PT_WORK/rc.tmp" "$PT_WORK/rc"
echo "proftop-test: proftop exited"
exec sleep 600
EOF
	tui_tmux -u new-session -d -x "$cols" -y "$rows" -e "TUI_TERM=${TUI_TERM:-}" \
		"bash $PT_WORK/run.sh" || pt_skip "tmux cannot start a session here"
	# proftop refused before its screen opened: perf_event_open, most likely
	for a in $(seq 1 30); do
		[ -f "$PT_WORK/rc" ] && break
		tui_screen | grep -q 'pid [0-9]' && return 0
		sleep 0.1
	done
	if [ -f "$PT_WORK/rc" ] && [ "$(cat "$PT_WORK/rc")" != 0 ] &&
		grep -Eq "$PT_PERM_RE" "$PT_WORK/stderr"; then
		pt_skip "perf_event_open refused: $(head -n 1 "$PT_WORK/stderr")"
	fi
	return 0
}

tui_screen()
{
	tui_tmux capture-pane -p -t 0 2>/dev/null
}

tui_keys()
{
	tui_tmux send-keys -t 0 "$@"
}

# tui_wait LABEL REGEX [SECONDS]: poll the screen for an extended regex.
tui_wait()
{
	local label=$1 re=$2 secs=${3:-$TUI_TIMEOUT} i
	for i in $(seq 1 $((secs * 10))); do
		if tui_screen | grep -Eq -- "$re"; then
			pt_ok "$label"
			return 0
		fi
		sleep 0.1
	done
	pt_fail "$label: expected the screen to show /$re/ within ${secs}s; it shows:"
	tui_screen | sed 's/^/#   |/'
	[ -s "$PT_WORK/stderr" ] && sed 's/^/#   stderr: /' "$PT_WORK/stderr"
	return 1
}

# tui_wait_cmp LABEL FUNC OP BOUND [SECONDS]: poll until the number FUNC
# prints (a shell function reading the screen) compares with BOUND by OP
# (>= or <=). tui_wait_ge and tui_wait_le say which.
tui_wait_cmp()
{
	local label=$1 fn=$2 op=$3 bound=$4 secs=${5:-$TUI_TIMEOUT} i v=
	for i in $(seq 1 $((secs * 10))); do
		v=$("$fn")
		if pt_num "$v" && awk -v v="$v" -v b="$bound" -v op="$op" \
			'BEGIN { exit !(op == ">=" ? v >= b : v <= b) }'; then
			pt_ok "$label: $v $op $bound"
			return 0
		fi
		sleep 0.1
	done
	pt_fail "$label: expected $fn $op $bound within ${secs}s, saw '$v'; the screen:"
	tui_screen | sed 's/^/#   |/'
	return 1
}

tui_wait_ge() { tui_wait_cmp "$1" "$2" ">=" "$3" "${4:-$TUI_TIMEOUT}"; }
tui_wait_le() { tui_wait_cmp "$1" "$2" "<=" "$3" "${4:-$TUI_TIMEOUT}"; }

# tui_wait_not LABEL REGEX [SECONDS]: until the screen no longer matches.
tui_wait_not()
{
	local label=$1 re=$2 secs=${3:-$TUI_TIMEOUT} i
	for i in $(seq 1 $((secs * 10))); do
		if ! tui_screen | grep -Eq -- "$re"; then
			pt_ok "$label"
			return 0
		fi
		sleep 0.1
	done
	pt_fail "$label: expected /$re/ to leave the screen within ${secs}s; it shows:"
	tui_screen | sed 's/^/#   |/'
	return 1
}

# The rows of the table under the column header (the line naming
# "function"), until the first blank line: "pct_self pct_total name".
tui_rows()
{
	tui_screen | awk '
		hdr && /^ *$/ { exit }
		hdr { for (i = 1; i <= NF; i++) if ($i ~ /%$/ && $(i + 1) ~ /%$/) {
			s = $i; t = $(i + 1); sub(/%/, "", s); sub(/%/, "", t)
			print s, t, $(i + 2); break } }
		/tottime.*function/ { hdr = 1 }'
}

tui_first_row()
{
	tui_rows | head -n 1 | awk '{ print $3 }'
}

# tui_wait_first LABEL FUNCTION [SECONDS]: until FUNCTION heads the table.
tui_wait_first()
{
	local label=$1 fn=$2 secs=${3:-10} i
	for i in $(seq 1 $((secs * 10))); do
		[ "$(tui_first_row)" = "$fn" ] && { pt_ok "$label: $fn"; return 0; }
		sleep 0.1
	done
	pt_fail "$label: expected '$fn' on the first row, saw '$(tui_first_row)'; the screen:"
	tui_screen | sed 's/^/#   |/'
	return 1
}

# The row under the cursor (reverse video: run proftop with --no-color)
# below the column header, as text.
tui_cursor_line()
{
	tui_tmux capture-pane -p -e -t 0 | awk '
		/(line|address) +self +total|tottime +cumtime/ { on = 1; next }
		on && /\033\[[0-9;]*;7m|\033\[7m/ { gsub(/\033\[[0-9;]*m/, ""); print; exit }'
}

tui_wait_exit()
{
	local secs=${1:-$TUI_TIMEOUT} i
	for i in $(seq 1 $((secs * 10))); do
		if [ -f "$PT_WORK/rc" ]; then
			TUI_RC=$(cat "$PT_WORK/rc")
			return 0
		fi
		sleep 0.1
	done
	TUI_RC=
	return 1
}

# tui_check_restored: after proftop exited, the terminal is as before: the
# alternate screen left, the same tty modes, the shell's line printed.
tui_check_restored()
{
	pt_eq "alternate screen left" "$(tui_tmux display -p -t 0 '#{alternate_on}')" 0
	pt_eq "terminal modes restored (stty -g)" "$(cat "$PT_WORK/stty.after" 2>/dev/null)" \
		"$(cat "$PT_WORK/stty.before" 2>/dev/null)"
	tui_wait "the pane shows what follows proftop" 'proftop-test: proftop exited' 5
}

# tui_click X Y: a left click at column X, row Y (0-based), as an xterm
# sends it (X10 encoding, which ncurses reads for TERM=screen).
tui_click()
{
	local x=$(($1 + 33)) y=$(($2 + 33))
	tui_keys -l "$(printf '\033[M %b%b' "\\$(printf %o "$x")" "\\$(printf %o "$y")")"
	tui_keys -l "$(printf '\033[M#%b%b' "\\$(printf %o "$x")" "\\$(printf %o "$y")")"
}
