#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probeset.h"
#include "xalloc.h"

struct probe_event {
	pid_t pid;
	int fd;
};

struct probe {
	char *path; /* read by the kernel when an event opens */
	uint64_t offset;
	enum probe_kind kind;
	uint32_t slot;
	int prog; /* -1 once removed */
	struct probe_event *ev;
	size_t nev, ev_cap;
};

struct probeset {
	int pmu;
	struct uprobe_gate gate;
	struct uprobe_counters *counters;
	struct uprobe_ring *ring; /* NULL without latency */
	struct probe *probes;	  /* by id */
	size_t n, cap;
};

struct probeset *probeset_new(int pmu, uint32_t nslots, size_t ring_bytes, char *err, size_t errlen)
{
	struct probeset *ps = xcalloc(1, sizeof(*ps));

	ps->pmu = pmu;
	ps->counters = uprobe_counters_new(nslots, err, errlen);
	if (!ps->counters)
		goto fail;
	if (ring_bytes && !(ps->ring = uprobe_ring_new(ring_bytes, err, errlen)))
		goto fail;
	return ps;
fail:
	probeset_free(ps);
	return NULL;
}

void probeset_free(struct probeset *ps)
{
	if (!ps)
		return;
	probeset_remove_all(ps, true);
	uprobe_close_flush();
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->probes[i].path);
		free(ps->probes[i].ev);
	}
	free(ps->probes);
	uprobe_ring_free(ps->ring);
	uprobe_counters_free(ps->counters);
	free(ps);
}

void probeset_set_gate(struct probeset *ps, const struct uprobe_gate *g)
{
	ps->gate = *g;
}

static struct probe *probe_get(const struct probeset *ps, int id)
{
	return id >= 0 && (size_t)id < ps->n ? &ps->probes[id] : NULL;
}

static enum uprobe_rec_kind rec_kind(enum probe_kind k)
{
	switch (k) {
	case PROBE_ENTRY:
		return UPROBE_REC_ENTRY;
	case PROBE_RET:
		return UPROBE_REC_RET;
	case PROBE_ENTRY_RETPROBE:
		return UPROBE_REC_ENTRY_RETPROBE;
	default:
		return UPROBE_REC_RETPROBE;
	}
}

/* A probe running prog, placed nowhere yet: its id. */
static int probe_new(struct probeset *ps, const char *path, uint64_t offset, enum probe_kind kind,
		     uint32_t slot, int prog)
{
	ps->probes = xgrow(ps->probes, &ps->cap, ps->n + 1, sizeof(*ps->probes));
	ps->probes[ps->n] = (struct probe){
		.path = xstrdup(path), .offset = offset, .kind = kind, .slot = slot, .prog = prog};
	return (int)ps->n++;
}

int probeset_add(struct probeset *ps, const char *path, uint64_t offset, enum probe_kind kind,
		 uint32_t slot, char *err, size_t errlen)
{
	int prog;

	if (kind == PROBE_COUNT)
		prog = uprobe_counters_prog(ps->counters, slot, &ps->gate, err, errlen);
	else if (!ps->ring) {
		snprintf(err, errlen, "internal error: an entry or return probe without a ring");
		return -1;
	} else
		prog = uprobe_ring_prog(ps->ring, slot, rec_kind(kind), &ps->gate, err, errlen);
	return prog < 0 ? -1 : probe_new(ps, path, offset, kind, slot, prog);
}

int probeset_add_usdt(struct probeset *ps, const char *path, uint64_t offset, enum probe_kind kind,
		      uint32_t slot, const struct probe_usdt *u, char *err, size_t errlen)
{
	int prog;

	if (!ps->ring) {
		snprintf(err, errlen, "internal error: a USDT probe without a ring");
		return -1;
	}
	prog = uprobe_usdt_prog(ps->counters, ps->ring, u->filter, u->pending, slot, u->traps_slot,
				kind == PROBE_PY_COUNT,
				kind == PROBE_PY_RETURN ? UPROBE_REC_PY_RETURN
							: UPROBE_REC_PY_ENTRY,
				u->arg0_off, u->arg1_off, u->line_off, &ps->gate, err, errlen);
	return prog < 0 ? -1 : probe_new(ps, path, offset, kind, slot, prog);
}

int probeset_place(struct probeset *ps, int id, pid_t pid)
{
	struct probe *p = probe_get(ps, id);
	int fd;

	if (!p || p->prog < 0)
		return -EBADF;
	if (probeset_on(ps, id, pid))
		return 0;
	fd = uprobe_open(ps->pmu, p->path, p->offset, p->kind == PROBE_RETPROBE, pid, p->prog);
	if (fd < 0)
		return fd;
	p->ev = xgrow(p->ev, &p->ev_cap, p->nev + 1, sizeof(*p->ev));
	p->ev[p->nev++] = (struct probe_event){pid, fd};
	return 0;
}

void probeset_unplace(struct probeset *ps, int id, pid_t pid)
{
	struct probe *p = probe_get(ps, id);

	for (size_t i = 0; p && i < p->nev; i++) {
		if (p->ev[i].pid != pid)
			continue;
		uprobe_close_later(p->ev[i].fd);
		p->ev[i--] = p->ev[--p->nev];
	}
}

bool probeset_on(const struct probeset *ps, int id, pid_t pid)
{
	const struct probe *p = probe_get(ps, id);

	for (size_t i = 0; p && i < p->nev; i++)
		if (p->ev[i].pid == pid)
			return true;
	return false;
}

size_t probeset_nplaced(const struct probeset *ps, int id)
{
	const struct probe *p = probe_get(ps, id);

	return p ? p->nev : 0;
}

void probeset_remove(struct probeset *ps, int id, bool now)
{
	struct probe *p = probe_get(ps, id);

	if (!p)
		return;
	for (size_t i = 0; i < p->nev; i++) {
		if (now)
			close(p->ev[i].fd);
		else
			uprobe_close_later(p->ev[i].fd);
	}
	p->nev = 0;
	if (p->prog >= 0)
		close(p->prog); /* the events kept their own reference */
	p->prog = -1;
}

void probeset_remove_all(struct probeset *ps, bool now)
{
	for (size_t i = 0; i < ps->n; i++)
		probeset_remove(ps, (int)i, now);
}

void probeset_forget(struct probeset *ps, pid_t pid)
{
	for (size_t i = 0; i < ps->n; i++)
		probeset_unplace(ps, (int)i, pid);
}

uint64_t probeset_count(const struct probeset *ps, uint32_t slot)
{
	return uprobe_counters_read(ps->counters, slot);
}

size_t probeset_drain(struct probeset *ps, void (*fn)(void *ctx, const struct uprobe_record *rec),
		      void *ctx)
{
	return ps->ring ? uprobe_ring_drain(ps->ring, fn, ctx) : 0;
}

uint64_t probeset_dropped(const struct probeset *ps)
{
	return ps->ring ? uprobe_ring_dropped(ps->ring) : 0;
}

bool probeset_has_ring(const struct probeset *ps)
{
	return ps->ring != NULL;
}
