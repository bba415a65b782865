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

static void search_run(struct tui *t, const char *needle, bool next)
{
	struct view *v = t->top;

	if (!v->ops->search)
		tui_message(t, true, "nothing to search in this view");
	else if (!v->ops->search(t, v, needle, next))
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

static void global_key(struct tui *t, int key)
{
	uint32_t fn;

	switch (key) {
	case 'q':
	case 'Q':
	case KEY_F(10):
		t->quit = true;
		break;
	case '?':
	case 'h':
	case KEY_F(1):
		toggle_view(t, &view_help_ops, view_help_new);
		break;
	case 'o':
	case KEY_F(2):
		toggle_view(t, &view_output_ops, view_output_new);
		break;
	case 't':
	case KEY_F(5):
		toggle_view(t, &view_tree_ops, view_tree_new);
		break;
	case 'T':
		toggle_view(t, &view_threads_ops, view_threads_new);
		break;
	case 'c':
	case KEY_F(7):
		if (t->top->ops == &view_callers_ops && key == 'c') {
			tui_pop(t);
			break;
		}
		fn = selected(t);
		if (fn != PROF_NONE)
			tui_push(t, view_callers_new(t, fn));
		break;
	case 'a':
		fn = selected(t);
		if (fn != PROF_NONE)
			tui_push(t, view_lines_new(t, fn));
		break;
	case 'C':
		toggle_calls(t, selected(t));
		break;
	case 'A': /* attach to another process: the picker (a is annotate) */
		if (t->saved)
			tui_message(t, true, "a saved session has no process to leave for another");
		else if (t->top->ops != &view_picker_ops)
			tui_push(t, view_picker_new(t));
		break;
	case 'L':
		fn = selected(t);
		if (fn != PROF_NONE)
			tui_push(t, view_latency_new(t, fn));
		break;
	case 'm':
	case KEY_F(8):
		t->mem_pane = !t->mem_pane;
		t->dirty = true;
		break;
	case 'f':
		t->frozen = !t->frozen;
		if (!t->frozen)
			tui_requery(t);
		tui_message(t, false,
			    t->frozen ? "display frozen, sampling goes on: f thaws"
				      : "display live again");
		break;
	case 'P':
	case KEY_F(9):
		if (!t->running || !t->col)
			break;
		t->paused = !t->paused;
		collector_pause(t->col, t->paused);
		tui_message(t, false,
			    t->paused ? "sampling paused (the target runs on): P resumes"
				      : "sampling resumed");
		break;
	case 's':
	case 'S':
		save_prompt_open(t);
		break;
	case 'z':
		if (t->saved) {
			tui_message(t, true, "a saved session cannot be zeroed; w shows the end of it");
			break;
		}
		profile_zero(t->prof);
		tui_requery(t);
		tui_message(t, false, "counters zeroed");
		break;
	case 'w':
		t->window = !t->window;
		tui_requery(t);
		break;
	case '/':
		prompt_open(t, PROMPT_SEARCH);
		break;
	case KEY_F(3):
		if (t->search)
			search_run(t, t->search, true);
		else
			prompt_open(t, PROMPT_SEARCH);
		break;
	case '\\':
	case KEY_F(4):
		prompt_open(t, PROMPT_FILTER);
		break;
	case 27:
	case KEY_BACKSPACE:
	case 127:
	case 8:
		tui_pop(t);
		break;
	case 12: /* ^L */
		clearok(curscr, TRUE);
		t->dirty = true;
		break;
	case KEY_RESIZE:
		t->dirty = true;
		break;
	}
}

static void footer_click(struct tui *t, int x)
{
	/* the footer's cells are "F1Help  " ... each key 2-3 + 6 columns */
	static const int keys[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	int cx = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		int w = (keys[i] >= 10 ? 3 : 2) + 6;

		if (x >= cx && x < cx + w) {
			global_key(t, KEY_F(keys[i]));
			return;
		}
		cx += w;
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
