/* Saving the session from the TUI: the `s` prompt and -o FILE's writer,
 * flushed from the refresh tick and closed on quit. A failed save keeps
 * the profile in memory and lets the user try another name. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "tui-priv.h"
#include "xalloc.h"

/* A live profile gets its duration only at the end: give the file the
 * time so far (collector_finish() sets the real one later). */
static void stamp_duration(struct tui *t)
{
	if (t->running && t->now_ns > t->prof->meta.duration_ns)
		t->prof->meta.duration_ns = t->now_ns;
}

void save_prompt_open(struct tui *t)
{
	char *name = t->save_name ? xstrdup(t->save_name) : session_default_name(t->prof);
	size_t len = strlen(name);

	if (len > sizeof(t->pbuf) - 1)
		len = sizeof(t->pbuf) - 1;
	memcpy(t->pbuf, name, len);
	t->pbuf[len] = '\0';
	t->plen = len;
	t->prompt = PROMPT_SAVE;
	t->dirty = true;
	free(name);
}

void save_prompt_commit(struct tui *t)
{
	char err[512];
	uint64_t t0 = loop_now_ns();

	t->prompt = PROMPT_NONE;
	t->dirty = true;
	if (!t->plen) {
		tui_message(t, true, "no file name: s to try again");
		return;
	}
	free(t->save_name);
	t->save_name = xstrdup(t->pbuf);
	stamp_duration(t);
	if (session_save(t->prof, t->save_name, err, sizeof(err)) < 0) {
		tui_message(t, true, "%s; s to save under another name", err);
		return;
	}
	tui_message(t, false, "saved %" PRIu64 " samples to %s (%.0f ms)", t->prof->total_samples,
		    t->save_name, (double)(loop_now_ns() - t0) / 1e6);
}

int save_writer_open(struct tui *t, const char *path, char *err, size_t errlen)
{
	t->writer = session_writer_open(t->prof, path, err, errlen);
	if (!t->writer)
		return -1;
	t->next_flush = loop_now_ns() + SESSION_FLUSH_MS * 1000000ull;
	return 0;
}

void save_writer_tick(struct tui *t)
{
	uint64_t now = loop_now_ns(), took;
	char err[512];

	if (!t->writer || now < t->next_flush)
		return;
	stamp_duration(t);
	/* A failed flush is retried at the next one, and on quit. */
	if (session_writer_flush(t->writer, err, sizeof(err)) < 0 && !t->flush_warned) {
		tui_message(t, true, "%s; will retry", err);
		t->flush_warned = true;
	}
	took = loop_now_ns() - now;
	if (took > t->slowest_flush)
		t->slowest_flush = took;
	t->next_flush = loop_now_ns() + SESSION_FLUSH_MS * 1000000ull;
}

/* The budget's sync: flush now, so that what is folded is in the file. */
static void writer_sync(void *arg, struct prof_fold_safe *safe)
{
	struct tui *t = arg;

	if (!t->writer) { /* closed: nothing to keep for it */
		safe->samples = safe->allocs = UINT64_MAX;
		return;
	}
	t->next_flush = 0;
	save_writer_tick(t);
	safe->samples = session_writer_samples_written(t->writer);
	safe->allocs = session_writer_allocs_written(t->writer);
}

void save_writer_attach(struct tui *t)
{
	if (t->col && t->writer)
		collector_set_fold_sync(t->col, writer_sync, t);
}

int save_writer_close(struct tui *t)
{
	struct session_writer *w = t->writer;
	char err[512], err2[512], *name, *alt;
	const char *tmp = getenv("TMPDIR");

	if (!w)
		return 0;
	t->writer = NULL;
	if (t->col)
		session_writer_note_budget(w, t->prof, collector_budget(t->col));
	if (session_writer_close(w, err, sizeof(err)) == 0)
		return 0;
	/* As record does: not the file asked for, but not the profile lost. */
	name = session_default_name(t->prof);
	alt = xasprintf("%s/%s", tmp && *tmp ? tmp : "/tmp", name);
	if (session_save(t->prof, alt, err2, sizeof(err2)) == 0)
		warnx_("%s; the session was saved to %s instead", err, alt);
	else
		warnx_("%s; the session was not saved", err);
	free(name);
	free(alt);
	return 1;
}
