/* The target's own output (stdout and stderr through one pty), kept off
 * the interface and shown here, following the end as it grows. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-priv.h"
#include "xalloc.h"

struct oline {
	size_t off, len;
};

struct oview {
	struct oline *lines;
	size_t n, cap;
	size_t parsed;	   /* bytes of profile.output split into lines */
	size_t line_start; /* where the unfinished last line starts */
	uint64_t dropped;  /* profile.output_dropped when split: the offsets moved since */
	struct ui_list list;
	bool follow; /* the cursor rides the last line */
};

/* Split what came since the last time. A lone '\r' (a progress bar)
 * starts the line over, as a terminal would show it. */
static void split(struct oview *o, const struct profile *p)
{
	const char *s = p->output;
	size_t i;

	if (p->output_len < o->parsed || p->output_dropped != o->dropped) {
		o->n = o->parsed = o->line_start = 0; /* the budget dropped the oldest */
		o->dropped = p->output_dropped;
	}
	for (i = o->parsed; i < p->output_len; i++) {
		if (s[i] == '\n') {
			size_t len = i - o->line_start;

			if (len && s[i - 1] == '\r')
				len--;
			o->lines = xgrow(o->lines, &o->cap, o->n + 1, sizeof(*o->lines));
			o->lines[o->n++] = (struct oline){o->line_start, len};
			o->line_start = i + 1;
		} else if (s[i] == '\r' && i + 1 < p->output_len && s[i + 1] != '\n') {
			o->line_start = i + 1;
		} else if (s[i] == '\r' && i + 1 == p->output_len) {
			break; /* wait for what follows it */
		}
	}
	o->parsed = i;
}

/* Rows: the finished lines and the one being written, if any. */
static size_t rows(const struct oview *o, const struct profile *p)
{
	return o->n + (o->line_start < p->output_len ? 1 : 0);
}

static void ov_update(struct tui *t, struct view *v)
{
	struct oview *o = v->priv;
	bool at_end = o->follow || o->list.cur + 1 >= o->list.n;

	split(o, t->prof);
	o->list.n = rows(o, t->prof);
	if (at_end && o->list.n)
		o->list.cur = o->list.n - 1;
}

/* Copy a line without terminal escape sequences (colours, cursor moves). */
static size_t strip(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		if (s[i] != 0x1b) {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '[') { /* CSI: up to a final byte */
			for (i += 2; i < len &&
				     !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e);
			     i++)
				;
		} else if (i + 1 < len && s[i + 1] == ']') { /* OSC: up to BEL or ST */
			for (i += 2; i < len && s[i] != 0x07 && !(s[i] == 0x1b && i + 1 < len); i++)
				;
			if (i < len && s[i] == 0x1b)
				i++;
		} else {
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

static void ov_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct oview *o = v->priv;
	const struct profile *p = t->prof;
	char title[128], buf[4096];
	int h = r->h - 1;

	snprintf(title, sizeof(title), "Target output: %zu line%s (stdout and stderr)", o->list.n,
		 o->list.n == 1 ? "" : "s");
	if (p->output_dropped) /* --max-memory */
		snprintf(title + strlen(title), sizeof(title) - strlen(title),
			 " [%" PRIu64 " bytes of earlier output dropped]", p->output_dropped);
	ui_title(t, r->y, title, NULL);
	list_fit(&o->list, h);
	if (!o->list.n && h > 0) {
		ui_put(r->y + 1, 2,
		       t->launched
			       ? "(no output yet)"
			       : "(an attached process writes to its own terminal: not captured)",
		       r->w - 2, ui_attr(t, UC_DIM));
		return;
	}
	for (int i = 0; i < h && o->list.top + (size_t)i < o->list.n; i++) {
		size_t k = o->list.top + (size_t)i, off, len, n;

		if (k < o->n) {
			off = o->lines[k].off;
			len = o->lines[k].len;
		} else {
			off = o->line_start;
			len = p->output_len - o->line_start;
		}
		n = strip(p->output + off, len, buf, sizeof(buf));
		if (k == o->list.cur && !o->follow)
			ui_fill(r->y + 1 + i, r->x, r->w, ui_attr(t, UC_CURSOR));
		ui_putn(r->y + 1 + i, r->x, buf, n, r->w,
			k == o->list.cur && !o->follow ? ui_attr(t, UC_CURSOR) : A_NORMAL);
	}
}

static int ov_key(struct tui *t, struct view *v, int key)
{
	struct oview *o = v->priv;

	if (key == 'i') {
		tui_input(t, true);
		return KR_HANDLED;
	}
	if (!list_key(&o->list, key))
		return KR_IGNORED;
	/* Back at the end: follow again; anywhere else: hold still. */
	o->follow = o->list.cur + 1 >= o->list.n;
	return KR_HANDLED;
}

struct ov_match {
	struct tui *t;
	struct oview *o;
	const char *needle;
};

static bool ov_matches(void *ctx, size_t i)
{
	struct ov_match *m = ctx;
	char buf[4096];

	strip(m->t->prof->output + m->o->lines[i].off, m->o->lines[i].len, buf, sizeof(buf));
	return ui_contains(buf, m->needle);
}

static bool ov_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct oview *o = v->priv;
	struct ov_match m = {t, o, needle};

	if (!list_search(&o->list, o->n, next, ov_matches, &m))
		return false;
	o->follow = false;
	return true;
}

static void ov_leave(struct tui *t, struct view *v)
{
	struct oview *o = v->priv;

	free(o->lines);
}

static const struct key_help ov_keys[] = {
	{"i", "with --stdin: the keys go to the target until Ctrl-C", 0, NULL},
	{NULL, NULL, 0, NULL},
};

const struct view_ops view_output_ops = {
	.name = "output",
	.help_title = "Output view",
	.keys = ov_keys,
	.update = ov_update,
	.draw = ov_draw,
	.key = ov_key,
	.leave = ov_leave,
	.search = ov_search,
};

struct view *view_output_new(struct tui *t)
{
	struct oview *o = xcalloc(1, sizeof(*o));

	o->follow = true;
	return view_alloc(&view_output_ops, o);
}
