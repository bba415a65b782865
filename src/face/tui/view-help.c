/* Help: every key. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tui-priv.h"
#include "xalloc.h"

/* Key, what it does; a NULL key starts a section. */
static const char *const help[][2] = {
	{NULL, "Everywhere"},
	{"q F10", "quit (a launched target is terminated, an attached one left running)"},
	{"? F1", "this help"},
	{"Esc Backspace", "back to the previous view"},
	{"Up Down j k", "move; PgUp PgDn Home End (g G) scroll"},
	{"/ F3", "search names in the view; F3 again: next match"},
	{"\\ F4", "filter the functions by name (Esc in the prompt clears it)"},
	{"f", "freeze the display; sampling goes on"},
	{"P F9", "pause and resume sampling (the target runs on)"},
	{"s", "save the session (a prompt with a default name; Esc cancels)"},
	{"z", "zero the counters (not in a saved session)"},
	{"w", "since start / last 5 seconds (see a phase change)"},
	{"T", "threads with their names and samples: restrict every view to one"},
	{"m F8", "memory pane: RSS and VMS over the run"},
	{"o F2", "the target's output (stdout and stderr)"},
	{"t F5", "call tree"},
	{"c F7", "callers and callees of the selected function"},
	{"a", "source lines of the selected function"},
	{"C", "count the selected function's calls from now on (uprobe), or stop"},
	{"L", "latency of the selected function (with --latency FUNC)"},
	{"^L", "repaint the screen"},
	{NULL, "Functions view"},
	{"1 2 3 4", "sort by cumulative time, own time (tottime), calls, name"},
	{"F6 < >", "sort by the next / previous column"},
	{"I", "invert the order"},
	{"click", "a click on a column header sorts by it"},
	{"Enter", "source lines of the function"},
	{NULL, "Comparison view (-i NEW --baseline OLD)"},
	{"1 2 3 4", "sort by the current session's cumulative, own time, calls, name"},
	{"5 d", "sort by the largest regression (growth of %self)"},
	{NULL, "Source lines"},
	{"n N", "next / previous hot line"},
	{"d", "disassembly instead of source, and back"},
	{"Enter", "on a call line: go to the callee"},
	{NULL, "Callers and callees"},
	{"Enter", "move to that caller or callee; on the function: its source"},
	{NULL, "Call tree"},
	{"+ Right", "expand"},
	{"- Left", "collapse (Left again: to the parent)"},
	{"*", "expand everything below"},
	{"Enter", "expand / collapse"},
	{NULL, "Output view"},
	{"i", "with --stdin: the keys go to the target until Ctrl-C"},
	{NULL, "Columns"},
	{"ncalls", "exact call count; '-' when not counted"},
	{"tottime", "seconds with the function innermost (perf's Self)"},
	{"cumtime", "seconds with the function anywhere on the stack (Children)"},
	{"percall", "tottime/ncalls and cumtime/ncalls"},
	{"%self %total", "the same as shares of all samples shown"},
};
#define NHELP (sizeof(help) / sizeof(*help))

struct hview {
	struct ui_list list;
};

static void hv_update(struct tui *t, struct view *v)
{
	struct hview *h = v->priv;

	h->list.n = NHELP;
}

static void hv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct hview *h = v->priv;
	int rows = r->h - 1;

	ui_title(t, r->y, "Help: keys (Esc or ? to close)", "proftop " PACKAGE_VERSION);
	/* the list scrolls by its top: the cursor is not shown */
	if (h->list.top + (size_t)rows > NHELP)
		h->list.top = NHELP > (size_t)rows ? NHELP - (size_t)rows : 0;
	h->list.height = rows;
	for (int i = 0; i < rows && h->list.top + (size_t)i < NHELP; i++) {
		const char *const *e = help[h->list.top + (size_t)i];
		int y = r->y + 1 + i;

		if (!e[0]) {
			ui_put(y, 1, e[1], r->w - 1, ui_attr(t, UC_HEADER) | A_BOLD);
			continue;
		}
		ui_put(y, 3, e[0], 14, ui_attr(t, UC_KEY));
		ui_put(y, 18, e[1], r->w - 18, A_NORMAL);
	}
}

static int hv_key(struct tui *t, struct view *v, int key)
{
	struct hview *h = v->priv;
	size_t page = h->list.height > 1 ? (size_t)h->list.height - 1 : 1;

	switch (key) {
	case KEY_UP:
	case 'k':
		if (h->list.top)
			h->list.top--;
		return KR_HANDLED;
	case KEY_DOWN:
	case 'j':
		h->list.top++;
		return KR_HANDLED;
	case KEY_PPAGE:
		h->list.top = h->list.top > page ? h->list.top - page : 0;
		return KR_HANDLED;
	case KEY_NPAGE:
	case ' ':
		h->list.top += page;
		return KR_HANDLED;
	case KEY_HOME:
		h->list.top = 0;
		return KR_HANDLED;
	}
	return KR_IGNORED;
}

const struct view_ops view_help_ops = {
	.name = "help",
	.update = hv_update,
	.draw = hv_draw,
	.key = hv_key,
};

struct view *view_help_new(struct tui *t)
{
	return view_alloc(&view_help_ops, xcalloc(1, sizeof(struct hview)));
}
