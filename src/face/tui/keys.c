/* What each key does: the keys every view shares, the prompt of / and \,
 * the mouse; a view's own keys come first (view_ops.key). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "collect.h"
#include "tui-priv.h"
#include "xalloc.h"

/* ---- the prompt of / and \ ---- */

static void prompt_open(struct tui *t, enum prompt_kind k)
{
	const char *init = k == PROMPT_FILTER ? t->name_filter : NULL;

	t->prompt = k;
	t->prompt_failed = false;
	t->plen = 0;
	if (init) {
		t->plen = strlen(init) < sizeof(t->pbuf) - 1 ? strlen(init) : sizeof(t->pbuf) - 1;
		memcpy(t->pbuf, init, t->plen);
	}
	t->pbuf[t->plen] = '\0';
	t->dirty = true;
}

static void filter_set(struct tui *t, const char *s)
{
	free(t->name_filter);
	t->name_filter = s && *s ? xstrdup(s) : NULL;
	t->fgen++;
	t->dirty = true;
}

/* A failed search says so at once: in the prompt while typing, else on
 * the status line. */
static void search_run(struct tui *t, const char *needle, bool next)
{
	struct view *v = t->top;
	bool found = v->ops->search && v->ops->search(t, v, needle, next);

	t->prompt_failed = !found && t->prompt == PROMPT_SEARCH;
	if (!v->ops->search)
		tui_message(t, true, "nothing to search in this view");
	else if (!found)
		tui_message(t, true, "\"%s\" not found", needle);
	t->dirty = true;
}

static void prompt_key(struct tui *t, int key)
{
	switch (key) {
	case 27: /* Esc: a search is abandoned, a filter cleared (htop) */
		if (t->prompt == PROMPT_FILTER)
			filter_set(t, NULL);
		t->prompt = PROMPT_NONE;
		t->dirty = true;
		return;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (t->prompt == PROMPT_SAVE) {
			save_prompt_commit(t);
			return;
		}
		if (t->prompt == PROMPT_SEARCH && t->plen) {
			free(t->search);
			t->search = xstrdup(t->pbuf);
		}
		t->prompt = PROMPT_NONE;
		t->dirty = true;
		return;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		/* drop a whole UTF-8 sequence */
		while (t->plen && ((unsigned char)t->pbuf[t->plen - 1] & 0xc0) == 0x80)
			t->plen--;
		if (t->plen)
			t->plen--;
		break;
	case 21: /* ^U */
		t->plen = 0;
		break;
	default:
		if (key < 32 || key > 255 || key == 127 || t->plen + 1 >= sizeof(t->pbuf))
			return;
		t->pbuf[t->plen++] = (char)key;
		break;
	}
	t->pbuf[t->plen] = '\0';
	if (t->prompt == PROMPT_SAVE)
		; /* a file name: nothing happens until Enter */
	else if (t->prompt == PROMPT_FILTER)
		filter_set(t, t->pbuf);
	else if (t->plen)
		search_run(t, t->pbuf, false);
	else
		t->prompt_failed = false;
	t->dirty = true;
}

/* ---- keys ---- */

static void toggle_view(struct tui *t, const struct view_ops *ops,
			struct view *(*make)(struct tui *))
{
	if (t->top->ops == ops)
		tui_pop(t);
	else
		tui_push(t, make(t));
}

static uint32_t selected(struct tui *t)
{
	struct view *v = t->top;

	return v->ops->selected ? v->ops->selected(t, v) : PROF_NONE;
}

/* C: count fn's exact calls from now on with a uprobe, or stop (calls.h). */
static void toggle_calls(struct tui *t, uint32_t fn)
{
	struct calls *c = t->col ? collector_calls(t->col) : NULL;
	char msg[256];

	if (fn == PROF_NONE)
		return;
	if (!t->running || !c) {
		tui_message(t, true, "calls can be counted only while the target runs");
		return;
	}
	if (calls_toggle(c, fn, msg, sizeof(msg)) < 0) {
		tui_message(t, true, "%s", msg);
		return;
	}
	tui_message(t, false, "%s", msg);
	tui_requery(t);
}

/* ---- the keys every view shares: one table for the keys, the help and
 * the footer (tmux keeps each binding's help beside it) ---- */

static bool is_live(const struct tui *t)
{
	return !t->saved;
}

static bool is_sampling(const struct tui *t)
{
	return t->running && t->col;
}

static void k_quit(struct tui *t, int key)
{
	t->quit = true;
}

static void k_help(struct tui *t, int key)
{
	toggle_view(t, &view_help_ops, view_help_new);
}

static void k_back(struct tui *t, int key)
{
	tui_pop(t);
}

static void k_search(struct tui *t, int key)
{
	if (key == KEY_F(3) && t->search)
		search_run(t, t->search, true);
	else
		prompt_open(t, PROMPT_SEARCH);
}

static void k_filter(struct tui *t, int key)
{
	prompt_open(t, PROMPT_FILTER);
}

static void k_freeze(struct tui *t, int key)
{
	t->frozen = !t->frozen;
	if (!t->frozen)
		tui_requery(t);
	tui_message(t, false,
		    t->frozen ? "display frozen, sampling goes on: f thaws" : "display live again");
}

static void k_pause(struct tui *t, int key)
{
	t->paused = !t->paused;
	collector_pause(t->col, t->paused);
	/* What the kernel buffered before the pause still comes in: the header
	 * says "draining" until the count stops (tick in tui.c). */
	t->pause_samples = t->prof->total_samples;
	t->draining = t->paused;
	tui_message(t, false,
		    t->paused ? "sampling paused (the target runs on): P resumes"
			      : "sampling resumed");
}

static void k_save(struct tui *t, int key)
{
	save_prompt_open(t);
}

static void k_zero(struct tui *t, int key)
{
	profile_zero(t->prof);
	t->zeroed = true;
	tui_requery(t);
	tui_message(t, false, "counters zeroed (a save now keeps only what came after)");
}

static void k_window(struct tui *t, int key)
{
	t->window = !t->window;
	tui_requery(t);
}

/* --self-to: inlined code's own time to the innermost inlined function
 * (leaf) or to the out-of-line function holding it (perf's view). */
static void k_self_to(struct tui *t, int key)
{
	t->filter.self_to_function = !t->filter.self_to_function;
	tui_message(t, false, "own time goes to the %s",
		    t->filter.self_to_function
			    ? "out-of-line function holding inlined code (as perf)"
			    : "innermost inlined function");
	tui_requery(t);
}

/* --clock: wall time (CPU and off-CPU waits) or CPU time, of a profile
 * collected on the wall clock. */
static void k_clock(struct tui *t, int key)
{
	const char *clock = t->prof->meta.clock;

	if (!t->filter.wall && !(clock && !strcmp(clock, "wall"))) {
		tui_message(t, true,
			    "CPU time only was collected: run proftop with --clock wall to see "
			    "where threads wait");
		return;
	}
	t->filter.wall = !t->filter.wall;
	tui_message(t, false, "%s",
		    t->filter.wall ? "wall clock: CPU time and off-CPU waits of every thread"
				   : "CPU clock: on-CPU samples only");
	tui_requery(t);
}

/* --idle: the waits of threads waiting for work, shown or hidden. */
static void k_idle(struct tui *t, int key)
{
	t->filter.idle = !t->filter.idle;
	tui_message(t, false, "%s%s",
		    t->filter.idle ? "idle waits shown (condition variables, semaphores, polls)"
				   : "idle waits hidden (condition variables, semaphores, polls)",
		    t->filter.wall ? "" : "; they count on the wall clock only (W)");
	tui_requery(t);
}

static void k_threads(struct tui *t, int key)
{
	toggle_view(t, &view_threads_ops, view_threads_new);
}

static void k_memory(struct tui *t, int key)
{
	toggle_view(t, &view_memory_ops, view_memory_new);
}

static void k_output(struct tui *t, int key)
{
	toggle_view(t, &view_output_ops, view_output_new);
}

/* t, c, a: from the memory view (or a view opened from it) they count
 * the same memory as it does (view_ops.scope). */
static void k_tree(struct tui *t, int key)
{
	if (t->top->ops == &view_tree_ops)
		tui_pop(t);
	else
		tui_push(t, view_tree_scoped(t, view_scope(t, t->top)));
}

static void k_callers(struct tui *t, int key)
{
	uint32_t fn;

	if (t->top->ops == &view_callers_ops && key == 'c') {
		tui_pop(t);
		return;
	}
	fn = selected(t);
	if (fn != PROF_NONE)
		tui_push(t, view_callers_scoped(t, fn, view_scope(t, t->top)));
}

static void k_lines(struct tui *t, int key)
{
	uint32_t fn = selected(t);

	if (fn != PROF_NONE)
		tui_push(t, view_lines_scoped(t, fn, view_scope(t, t->top)));
}

static void k_count(struct tui *t, int key)
{
	toggle_calls(t, selected(t));
}

static void k_picker(struct tui *t, int key)
{
	if (t->top->ops != &view_picker_ops)
		tui_push(t, view_picker_new(t));
}

static void k_latency(struct tui *t, int key)
{
	uint32_t fn = selected(t);

	if (fn != PROF_NONE)
		tui_push(t, view_latency_new(t, fn));
}

static void k_repaint(struct tui *t, int key)
{
	clearok(curscr, TRUE);
	t->dirty = true;
}

struct global_key {
	int codes[4];			     /* 0 ends */
	void (*run)(struct tui *t, int key); /* NULL: the views' lists move */
	/* NULL: always; else whether the key applies now: it is in the help
	 * and the footer only then, and says why not (refused) when pressed */
	bool (*applies)(const struct tui *t);
	const char *refused;
	struct key_help help;
};

/* The keys, the code they run, when they apply, and their help line. */
/* clang-format off */
static const struct global_key global_keys[] = {
	{{'q', 'Q', KEY_F(10)}, k_quit, NULL, NULL,
	 {"q F10", "quit (a launched target is terminated, an attached one runs on)", 10, "Quit"}},
	{{'?', 'h', KEY_F(1)}, k_help, NULL, NULL,
	 {"? h F1", "this help", 1, "Help"}},
	{{27, KEY_BACKSPACE, 127, 8}, k_back, NULL, NULL,
	 {"Esc Backspace", "back to the previous view", 0, NULL}},
	{{0}, NULL, NULL, NULL,
	 {"Up Down j k", "move", 0, NULL}},
	{{0}, NULL, NULL, NULL,
	 {"PgUp PgDn Home End g G", "scroll by pages, to the top, to the end", 0, NULL}},
	{{'/', KEY_F(3)}, k_search, NULL, NULL,
	 {"/ F3", "search names in the view; F3 again: next match", 3, "Search"}},
	{{'\\', KEY_F(4)}, k_filter, NULL, NULL,
	 {"\\ F4", "filter the functions and the tree by name (Esc clears it)", 4, "Filter"}},
	{{'f'}, k_freeze, is_sampling, "the target is not running: the display does not change",
	 {"f", "freeze the display; sampling goes on", 0, NULL}},
	{{'P', KEY_F(9)}, k_pause, is_sampling, "nothing is being sampled: nothing to pause",
	 {"P F9", "pause and resume sampling (the target runs on)", 9, "Pause"}},
	{{'s', 'S'}, k_save, NULL, NULL,
	 {"s S", "save the session (a prompt with a default name; Esc cancels)", 0, NULL}},
	{{'z'}, k_zero, is_live, "a saved session cannot be zeroed; w shows the end of it",
	 {"z", "zero the counters (a save after it keeps only what came after)", 0, NULL}},
	{{'w'}, k_window, NULL, NULL,
	 {"w", "since start / last 5 seconds (see a phase change)", 0, NULL}},
	{{'F'}, k_self_to, NULL, NULL,
	 {"F", "own time to the innermost inlined function / to the out-of-line one", 0, NULL}},
	{{'W'}, k_clock, NULL, NULL,
	 {"W", "wall clock (CPU time and off-CPU waits) / CPU clock (--clock wall)", 0, NULL}},
	{{'H'}, k_idle, NULL, NULL,
	 {"H", "wall clock: hide (default) or show idle waits (--idle)", 0, NULL}},
	{{'T'}, k_threads, NULL, NULL,
	 {"T", "threads with their names and samples: restrict every view to one", 0, NULL}},
	{{'m', KEY_F(8)}, k_memory, NULL, NULL,
	 {"m F8", "memory view: RSS and VMS over the run, memory per function", 8, "Memory"}},
	{{'o', KEY_F(2)}, k_output, NULL, NULL,
	 {"o F2", "the target's output (stdout and stderr)", 2, "Output"}},
	{{'t', KEY_F(5)}, k_tree, NULL, NULL,
	 {"t F5", "call tree", 5, "Tree"}},
	{{'c', KEY_F(7)}, k_callers, NULL, NULL,
	 {"c F7", "callers and callees of the selected function", 7, "Callers"}},
	{{'a'}, k_lines, NULL, NULL,
	 {"a", "source lines of the selected function", 0, NULL}},
	{{'A'}, k_picker, is_live, "a saved session has no process to leave for another",
	 {"A", "attach to another process: the process picker", 0, NULL}},
	{{'C'}, k_count, is_sampling, "calls can be counted only while the target runs",
	 {"C", "count the selected function's calls from now on (uprobe), or stop", 0, NULL}},
	{{'L'}, k_latency, NULL, NULL,
	 {"L", "latency of the selected function (with --latency FUNC)", 0, NULL}},
	{{12}, k_repaint, NULL, NULL,
	 {"Ctrl-L", "repaint the screen", 0, NULL}},
};
/* clang-format on */
#define NGLOBAL (sizeof(global_keys) / sizeof(*global_keys))

const struct key_help *keys_global_help(const struct tui *t, size_t i)
{
	for (size_t k = 0; k < NGLOBAL; k++) {
		const struct global_key *g = &global_keys[k];

		if (g->applies && !g->applies(t))
			continue;
		if (!i--)
			return &g->help;
	}
	return NULL;
}

static void global_key(struct tui *t, int key)
{
	if (key == KEY_RESIZE) {
		t->dirty = true;
		return;
	}
	for (size_t k = 0; k < NGLOBAL; k++) {
		const struct global_key *g = &global_keys[k];

		for (size_t c = 0; c < sizeof(g->codes) / sizeof(*g->codes) && g->codes[c]; c++) {
			if (g->codes[c] != key)
				continue;
			if (g->applies && !g->applies(t))
				tui_message(t, true, "%s", g->refused);
			else
				g->run(t, key);
			return;
		}
	}
}

/* The footer's cells, F1 to F10: the shared keys' and the top view's, those
 * that apply now; where each is drawn is computed here once, for the
 * drawing and for the clicks (htop's FunctionBar). */
size_t keys_footer(const struct tui *t, struct footer_cell *cells, size_t max)
{
	const struct key_help *vk = t->top ? t->top->ops->keys : NULL;
	size_t n = 0;
	int x = 0;

	for (int f = 1; f <= 10 && n < max; f++) {
		const char *label = NULL;

		for (size_t k = 0; k < NGLOBAL && !label; k++) {
			const struct global_key *g = &global_keys[k];

			if (g->help.fkey == f && (!g->applies || g->applies(t)))
				label = g->help.label;
		}
		for (size_t k = 0; vk && vk[k].keys && !label; k++)
			if (vk[k].fkey == f)
				label = vk[k].label;
		if (!label)
			continue;
		if (f == 9 && t->paused)
			label = "Resume";
		cells[n].key = KEY_F(f);
		snprintf(cells[n].name, sizeof(cells[n].name), "F%d", f);
		snprintf(cells[n].label, sizeof(cells[n].label), "%-6s", label);
		cells[n].x = x;
		cells[n].w = (int)(strlen(cells[n].name) + strlen(cells[n].label));
		x += cells[n].w;
		n++;
	}
	return n;
}

static void footer_click(struct tui *t, int x)
{
	struct footer_cell cells[10];
	size_t n = keys_footer(t, cells, 10);

	for (size_t i = 0; i < n; i++) {
		if (x >= cells[i].x && x < cells[i].x + cells[i].w) {
			tui_key(t, cells[i].key);
			return;
		}
	}
}

static void mouse_key(struct tui *t)
{
	MEVENT ev;
	struct view *v = t->top;

	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		int k = ev.bstate & BUTTON4_PRESSED ? KEY_UP : KEY_DOWN;

		for (int i = 0; i < 3; i++)
			v->ops->key(t, v, k);
		t->dirty = true;
		return;
	}
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_RELEASED)))
		return;
	if (ev.y == LINES - 1) {
		if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
			footer_click(t, ev.x);
		return;
	}
	if (v->ops->click && ev.y >= t->main.y && ev.y < t->main.y + t->main.h &&
	    (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		v->ops->click(t, v, &t->main, ev.y, ev.x);
	t->dirty = true;
}

void tui_key(struct tui *t, int key)
{
	struct view *v = t->top;
	int r;

	if (key != KEY_RESIZE && key != KEY_MOUSE)
		t->msg_until = 0;
	if (t->prompt != PROMPT_NONE) {
		prompt_key(t, key);
		return;
	}
	/* Keys typed ahead act on what the previous ones asked for (2 then
	 * Enter opens the function first by tottime). */
	tui_view_sync(t, v);
	if (key == KEY_MOUSE) {
		mouse_key(t);
		return;
	}
	r = v->ops->key ? v->ops->key(t, v, key) : KR_IGNORED;
	if (r & KR_REQUERY)
		v->gen = UINT64_MAX;
	if (r)
		t->dirty = true;
	else
		global_key(t, key);
	if (!t->dirty)
		t->dirty = key != ERR; /* e.g. a message expired by the key */
}
