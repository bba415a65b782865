/* The latency of one function (`L`, with --latency): calls, total, average,
 * min, median, p95, p99 and max, and the histogram, as `report --latency`
 * prints them. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "report-calls.h"
#include "tui-priv.h"
#include "xalloc.h"

#define LAT_ROWS 16 /* histogram rows at most */

struct latview {
	uint32_t fn;
};

static void lat_update(struct tui *t, struct view *v)
{
	(void)t;
	(void)v; /* drawn straight from the profile */
}

static void lat_draw(struct tui *t, struct view *v, const struct rect *r)
{
	static const char *const names[] = {"min", "median", "p95", "p99", "max"};
	static const double qs[] = {0, 0.5, 0.95, 0.99, 1};
	struct latview *lv = v->priv;
	const struct prof_latency *l = profile_find_latency(t->prof, lv->fn);
	struct latency_row rows[LAT_ROWS];
	char label[256], title[320], buf[256], a[32], b[32];
	int y = r->y + 1, end = r->y + r->h;
	size_t n;
	uint64_t top = 0;

	ui_fn_label(t->prof, lv->fn, label, sizeof(label));
	snprintf(title, sizeof(title), "Latency of %s", label);
	ui_title(t, r->y, title, "Esc back");
	if (!l) {
		ui_put(y, r->x + 1,
		       "not timed: start proftop with --latency FUNC to time every call", r->w - 1,
		       ui_attr(t, UC_DIM));
		return;
	}
	if (!l->count) {
		ui_put(y, r->x + 1, "no call has returned since the probes were placed", r->w - 1,
		       ui_attr(t, UC_DIM));
		return;
	}
	snprintf(buf, sizeof(buf), "calls %s   total %s   avg %s",
		 fmt_count(l->count, a, sizeof(a)), report_fmt_duration(l->sum_ns, b, sizeof(b)),
		 report_fmt_duration(l->sum_ns / l->count, title, sizeof(title)));
	ui_put(y++, r->x + 1, buf, r->w - 1, A_BOLD);
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(qs) / sizeof(*qs); i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s %s", i ? "   " : "",
			 names[i], report_fmt_duration(latency_quantile(l, qs[i]), a, sizeof(a)));
	if (y < end)
		ui_put(y++, r->x + 1, buf, r->w - 1, A_NORMAL);
	if (l->stopped && y < end) {
		snprintf(buf, sizeof(buf),
			 "stopped over the budget at %.0f calls a second: the calls until then",
			 l->rate);
		ui_put(y++, r->x + 1, buf, r->w - 1, ui_attr(t, UC_HEAT4));
	}
	if (t->prof->meta.probe_floor_ns && y < end) {
		snprintf(buf, sizeof(buf), "each duration includes the probes' own cost, about %s",
			 report_fmt_duration(t->prof->meta.probe_floor_ns, a, sizeof(a)));
		ui_put(y++, r->x + 1, buf, r->w - 1, ui_attr(t, UC_DIM));
	}
	y++;
	n = latency_rows(l, rows, (size_t)(end - y) < LAT_ROWS ? (size_t)(end - y) : LAT_ROWS);
	for (size_t i = 0; i < n; i++)
		if (rows[i].count > top)
			top = rows[i].count;
	for (size_t i = 0; i < n && y < end; i++, y++) {
		int x = r->x + 1, bw;

		snprintf(buf, sizeof(buf), "%10s - %-10s ",
			 report_fmt_duration(rows[i].low, a, sizeof(a)),
			 report_fmt_duration(rows[i].high, b, sizeof(b)));
		x += ui_put(y, x, buf, r->w - 1, A_NORMAL);
		snprintf(buf, sizeof(buf), " %" PRIu64, rows[i].count);
		bw = r->x + r->w - x - ui_width(buf) - 1;
		if (bw > 0) {
			ui_bar(t, y, x, bw, top ? (double)rows[i].count / (double)top : 0,
			       ui_attr(t, UC_HEAT2));
			x += bw;
		}
		ui_put(y, x, buf, r->x + r->w - x, A_NORMAL);
	}
}

static int lat_key(struct tui *t, struct view *v, int key)
{
	(void)t;
	(void)v;
	(void)key;
	return KR_IGNORED;
}

static uint32_t lat_selected(struct tui *t, struct view *v)
{
	(void)t;
	return ((struct latview *)v->priv)->fn;
}

const struct view_ops view_latency_ops = {
	.name = "latency",
	.update = lat_update,
	.draw = lat_draw,
	.key = lat_key,
	.selected = lat_selected,
};

struct view *view_latency_new(struct tui *t, uint32_t fn)
{
	struct latview *lv = xcalloc(1, sizeof(*lv));

	(void)t;
	lv->fn = fn;
	return view_alloc(&view_latency_ops, lv);
}
