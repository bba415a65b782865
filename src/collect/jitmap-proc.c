#include "config.h"

/* The JIT maps of the target's processes (jitmap.h, "per process"): where
 * each process's perf map and jitdump are, whether they may be read, and
 * when to read them again. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jitmap.h"
#include "loop.h"
#include "xalloc.h"

#define PERF_MAP_RETRY_NS 100000000ull /* an absent perf map is looked for again */
#define GROWTH_CHECK_NS	  10000000ull  /* a miss looks at the files at most this often */

struct jit_proc {
	pid_t pid;
	struct jitmap *perf_map, *dump;
	bool perf_map_refused, dump_refused;
	uint64_t perf_map_tried_ns;
	unsigned maps_generation; /* ps->generation when mappings were last searched */
	bool searched;
	uint64_t checked_ns;
};

struct jit {
	struct jit_proc *procs;
	size_t nprocs, procs_cap;
	char **said; /* the problems said */
	size_t nsaid, said_cap;
	unsigned generation;
};

struct jit *jit_new(void)
{
	return xcalloc(1, sizeof(struct jit));
}

static void proc_close(struct jit_proc *p)
{
	jitmap_free(p->perf_map);
	jitmap_free(p->dump);
}

void jit_free(struct jit *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nprocs; i++)
		proc_close(&j->procs[i]);
	for (size_t i = 0; i < j->nsaid; i++)
		free(j->said[i]);
	free(j->said);
	free(j->procs);
	free(j);
}

unsigned jit_generation(const struct jit *j)
{
	return j ? j->generation : 0;
}

static struct jit_proc *proc_find(const struct jit *j, pid_t pid)
{
	for (size_t i = 0; i < j->nprocs; i++)
		if (j->procs[i].pid == pid)
			return &j->procs[i];
	return NULL;
}

bool jit_known(const struct jit *j, pid_t pid)
{
	const struct jit_proc *p = j ? proc_find(j, pid) : NULL;

	return p && (p->perf_map || p->dump);
}

void jit_forget(struct jit *j, pid_t pid)
{
	struct jit_proc *p = j ? proc_find(j, pid) : NULL;

	if (!p)
		return;
	proc_close(p);
	*p = j->procs[--j->nprocs];
	j->generation++;
}

/* The process's uids (real, effective, saved, file system) and its pid in
 * its own pid namespace; false if /proc no longer has it. */
static bool proc_ids(pid_t pid, uid_t uids[4], pid_t *nspid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int have = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	*nspid = pid;
	while (getline(&line, &cap, f) > 0) {
		unsigned long u[4];

		if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2], &u[3]) == 4) {
			for (int i = 0; i < 4; i++)
				uids[i] = (uid_t)u[i];
			have = 1;
		} else if (!strncmp(line, "NSpid:", 6)) {
			char *last = strrchr(line, '\t');

			if (last && atoi(last + 1) > 0)
				*nspid = atoi(last + 1);
		}
	}
	free(line);
	fclose(f);
	return have;
}

/* Whether process pid sees the file system root we see. */
static bool same_root(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/root/", (int)pid);
	return stat(path, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* A problem with a map, said once however often it is met again (a
 * process that execs keeps its pid, and its maps are looked up anew). */
static void jit_warn(struct jit *j, const char *msg)
{
	if (!msg)
		return;
	for (size_t i = 0; i < j->nsaid; i++)
		if (!strcmp(j->said[i], msg))
			return;
	j->said = xgrow(j->said, &j->said_cap, j->nsaid + 1, sizeof(*j->said));
	j->said[j->nsaid++] = xstrdup(msg);
	warnx_("%s", msg);
}

/* The perf map of p: /tmp/perf-NSPID.map in the process's own root. */
static void open_perf_map(struct jit *j, struct jit_proc *p, uint64_t now)
{
	char path[64], display[128], err[512];
	uid_t uids[4];
	pid_t nspid;

	p->perf_map_tried_ns = now;
	if (!proc_ids(p->pid, uids, &nspid))
		return;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)nspid);
	if (nspid == p->pid && same_root(p->pid))
		snprintf(display, sizeof(display), "%s", path);
	else
		snprintf(display, sizeof(display), "/proc/%d/root%s", (int)p->pid, path);
	p->perf_map = jitmap_open_in_root(JITMAP_PERF_MAP, p->pid, path, display, uids, 4, err,
					  sizeof(err));
	if (!p->perf_map && errno != ENOENT) {
		p->perf_map_refused = true;
		jit_warn(j, err);
	}
}

static bool is_jitdump_name(const char *name)
{
	const char *base = strrchr(name, '/');
	size_t n;

	if (!base || strncmp(base + 1, "jit-", 4))
		return false;
	base += 5;
	n = strspn(base, "0123456789");
	return n > 0 && !strcmp(base + n, ".dump");
}

/* The jitdump of p: a file it maps named jit-PID.dump (the marker its JIT
 * maps for profilers), opened through the mapping itself. */
static void open_dump(struct jit *j, struct jit_proc *p, const struct proc_space *ps)
{
	char path[512], err[512];
	const struct map_entry *m = NULL;
	uid_t uids[4];
	pid_t nspid;

	p->maps_generation = ps->generation;
	p->searched = true;
	for (size_t i = 0; i < ps->nmaps && !m; i++)
		if (ps->maps[i].name && is_jitdump_name(ps->maps[i].name))
			m = &ps->maps[i];
	if (!m || !proc_ids(p->pid, uids, &nspid))
		return;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)p->pid,
		 m->start, m->end);
	p->dump = jitmap_open(JITMAP_JITDUMP, path, m->name, uids, 4, true, err, sizeof(err));
	if (!p->dump && errno == ENOENT) /* unmapped since: through the process's root */
		p->dump = jitmap_open_in_root(JITMAP_JITDUMP, p->pid, m->name, m->name, uids, 4,
					      err, sizeof(err));
	if (!p->dump) {
		p->dump_refused = true;
		jit_warn(j, err);
	}
}

static bool update(struct jit *j, struct jitmap *jm)
{
	bool grew;

	if (!jm)
		return false;
	grew = jitmap_update(jm);
	jit_warn(j, jitmap_take_warning(jm));
	return grew;
}

void jit_refresh(struct jit *j, pid_t pid)
{
	struct jit_proc *p = j ? proc_find(j, pid) : NULL;

	if (p && (update(j, p->dump) | update(j, p->perf_map)))
		j->generation++;
}

const struct jit_code *jit_lookup(struct jit *j, const struct proc_space *ps, uint64_t addr,
				  uint64_t when, const struct jitmap **from)
{
	struct jit_proc *p = proc_find(j, ps->pid);
	uint64_t now = loop_now_ns();
	const struct jit_code *code;
	bool opened = false;

	if (!p) {
		j->procs = xgrow(j->procs, &j->procs_cap, j->nprocs + 1, sizeof(*j->procs));
		p = &j->procs[j->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = ps->pid;
	}
	if (!p->dump && !p->dump_refused &&
	    (!p->searched || p->maps_generation != ps->generation)) {
		open_dump(j, p, ps);
		opened |= p->dump != NULL;
	}
	if (!p->perf_map && !p->perf_map_refused &&
	    (!p->perf_map_tried_ns || now - p->perf_map_tried_ns >= PERF_MAP_RETRY_NS)) {
		open_perf_map(j, p, now);
		opened |= p->perf_map != NULL;
	}
	/* the jitdump's code as it was at `when` (samples come in time order) */
	if (p->dump && jitmap_until(p->dump, when))
		j->generation++;
	for (int pass = 0; pass < 2; pass++) {
		if (p->dump && (code = jitmap_lookup(p->dump, addr))) {
			*from = p->dump;
			return code;
		}
		if (p->perf_map && (code = jitmap_lookup(p->perf_map, addr))) {
			*from = p->perf_map;
			return code;
		}
		/* not named (yet): the files may have grown since they were read */
		if (pass || (!opened && now - p->checked_ns < GROWTH_CHECK_NS))
			break;
		p->checked_ns = now;
		if (!(update(j, p->dump) | update(j, p->perf_map)) && !opened)
			break;
		j->generation++;
	}
	return NULL;
}
