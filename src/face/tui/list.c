/* The scrolling list every view moves through. */
#include "config.h"

#include "tui-priv.h"

bool list_key(struct ui_list *l, int key)
{
	size_t page = l->height > 1 ? (size_t)l->height - 1 : 1;

	if (!l->n)
		return false;
	switch (key) {
	case KEY_UP:
	case 'k':
		if (l->cur)
			l->cur--;
		break;
	case KEY_DOWN:
	case 'j':
		if (l->cur + 1 < l->n)
			l->cur++;
		break;
	case KEY_PPAGE:
		l->cur = l->cur > page ? l->cur - page : 0;
		l->top = l->top > page ? l->top - page : 0;
		break;
	case KEY_NPAGE:
		l->cur = l->cur + page < l->n ? l->cur + page : l->n - 1;
		l->top += page;
		break;
	case KEY_HOME:
	case 'g':
		l->cur = 0;
		break;
	case KEY_END:
	case 'G':
		l->cur = l->n - 1;
		break;
	default:
		return false;
	}
	return true;
}

void list_fit(struct ui_list *l, int height)
{
	size_t h = height > 0 ? (size_t)height : 1;

	l->height = height;
	if (!l->n) {
		l->cur = l->top = 0;
		return;
	}
	if (l->cur >= l->n)
		l->cur = l->n - 1;
	if (l->top + h > l->n)
		l->top = l->n > h ? l->n - h : 0;
	if (l->cur < l->top)
		l->top = l->cur;
	if (l->cur >= l->top + h)
		l->top = l->cur - h + 1;
}

void list_goto(struct ui_list *l, size_t i)
{
	size_t h = l->height > 0 ? (size_t)l->height : 1;

	if (i >= l->n)
		return;
	l->cur = i;
	if (i < l->top || i >= l->top + h)
		l->top = i > h / 2 ? i - h / 2 : 0;
}

bool list_search(struct ui_list *l, size_t n, bool next, bool (*match)(void *ctx, size_t i),
		 void *ctx)
{
	for (size_t k = next ? 1 : 0; k <= n && n; k++) {
		size_t i = (l->cur + k) % n;

		if (match(ctx, i)) {
			list_goto(l, i);
			return true;
		}
	}
	return false;
}
