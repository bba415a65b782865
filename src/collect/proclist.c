#include "config.h"

#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proclist.h"
#include "xalloc.h"

#define PF_KTHREAD 0x00200000u /* /proc/PID/stat flags: a kernel thread */

struct user_name {
	uid_t uid;
	char *name;
};

struct proclist {
	char *root;
	struct proc_entry *all; /* this scan, by pid */
	size_t nall, all_cap;
	struct proc_entry *prev; /* the previous scan, by pid: for CPU% */
	size_t nprev, prev_cap;
	uint64_t scan_ns, prev_ns;
	size_t *shown; /* indexes into all: filtered, then sorted */
	size_t nshown, shown_cap;
	enum proclist_col col;
	bool reverse, kernel;
	char *needle;
	struct user_name *users;
	size_t nusers, users_cap;
	long clk_tck, page_size;
};

static const char *const col_names[PL_NCOLS] = {
	[PL_PID] = "PID", [PL_USER] = "USER",	[PL_STATE] = "S",	  [PL_CPU] = "CPU%",
	[PL_RSS] = "RSS", [PL_THREADS] = "THR", [PL_COMMAND] = "COMMAND",
};

const char *proclist_col_name(enum proclist_col col)
{
	return col < PL_NCOLS ? col_names[col] : "?";
}

int proclist_parse_col(const char *s)
{
	static const struct {
		const char *name;
		enum proclist_col col;
	} aliases[] = {
		{"pid", PL_PID},     {"user", PL_USER},	      {"cpu", PL_CPU},
		{"cpu%", PL_CPU},    {"rss", PL_RSS},	      {"mem", PL_RSS},
		{"thr", PL_THREADS}, {"threads", PL_THREADS}, {"command", PL_COMMAND},
		{"cmd", PL_COMMAND}, {"s", PL_STATE},	      {"state", PL_STATE},
	};

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(s, aliases[i].name))
			return (int)aliases[i].col;
	return -1;
}

struct proclist *proclist_new(const char *proc_root)
{
	struct proclist *pl = xcalloc(1, sizeof(*pl));

	pl->root = xstrdup(proc_root ? proc_root : "/proc");
	pl->col = PL_CPU;
	pl->clk_tck = sysconf(_SC_CLK_TCK);
	pl->page_size = sysconf(_SC_PAGESIZE);
	if (pl->clk_tck <= 0)
		pl->clk_tck = 100;
	return pl;
}

static void free_entries(struct proc_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)e[i].comm);
		free((char *)e[i].command);
	}
}

void proclist_free(struct proclist *pl)
{
	if (!pl)
		return;
	free_entries(pl->all, pl->nall);
	free_entries(pl->prev, pl->nprev);
	free(pl->all);
	free(pl->prev);
	free(pl->shown);
	for (size_t i = 0; i < pl->nusers; i++)
		free(pl->users[i].name);
	free(pl->users);
	free(pl->needle);
	free(pl->root);
	free(pl);
}

static const char *user_name(struct proclist *pl, uid_t uid)
{
	struct passwd *pw;
	struct user_name *u;

	for (size_t i = 0; i < pl->nusers; i++)
		if (pl->users[i].uid == uid)
			return pl->users[i].name;
	pl->users = xgrow(pl->users, &pl->users_cap, pl->nusers + 1, sizeof(*pl->users));
	u = &pl->users[pl->nusers++];
	u->uid = uid;
	pw = getpwuid(uid);
	u->name = pw ? xstrdup(pw->pw_name) : xasprintf("%u", (unsigned)uid);
	return u->name;
}

/* The whole of a small file, NUL-terminated; its length in *len. NULL if
 * it cannot be read. */
static char *slurp(const char *root, pid_t pid, const char *name, size_t *len)
{
	char *path = xasprintf("%s/%d/%s", root, (int)pid, name);
	FILE *f = fopen(path, "r");
	size_t cap = 4096, n = 0;
	char *buf;

	free(path);
	if (!f)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0 || n + 1 < cap)
			break;
		cap *= 2;
		buf = xrealloc(buf, cap);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Fill e from /proc/PID/{stat,status,cmdline}; false if the process went
 * away meanwhile or its files do not parse. */
static bool read_entry(struct proclist *pl, pid_t pid, struct proc_entry *e)
{
	char *stat = slurp(pl->root, pid, "stat", NULL), *status, *cmd, *lp, *rp;
	unsigned long long v[21];
	size_t len = 0;
	int n;

	if (!stat)
		return false;
	lp = strchr(stat, '(');
	rp = strrchr(stat, ')');
	/* After ")": the state (field 3), then numbers from field 4 on;
	 * v[k] is field k + 4, up to rss (24). */
	n = 0;
	if (lp && rp && lp < rp && rp[1] == ' ' && rp[2]) {
		char *p = rp + 3;

		e->state = rp[2];
		while (n < 21) {
			char *end;

			v[n] = strtoull(p, &end, 10);
			if (end == p)
				break;
			n++;
			p = end;
		}
	}
	if (n < 21) {
		free(stat);
		return false;
	}
	/* flags 9, utime 14, stime 15, threads 20, starttime 22, rss 24 (pages) */
	e->pid = pid;
	e->kernel_thread = (v[5] & PF_KTHREAD) != 0;
	e->ticks = v[10] + v[11];
	e->threads = (unsigned)v[16];
	e->start_time = v[18];
	e->rss = v[20] * (uint64_t)pl->page_size;
	*rp = '\0';
	e->comm = xstrndup(lp + 1, 15);
	free(stat);

	e->uid = 0;
	status = slurp(pl->root, pid, "status", NULL);
	if (status) {
		char *u = strstr(status, "\nUid:");

		if (u)
			e->uid = (uid_t)strtoul(u + 5, NULL, 10);
		free(status);
	}
	e->user = user_name(pl, e->uid);

	cmd = slurp(pl->root, pid, "cmdline", &len);
	while (cmd && len > 0 && cmd[len - 1] == '\0')
		len--;
	if (cmd && len > 0) {
		for (size_t i = 0; i < len; i++)
			if (cmd[i] == '\0' || cmd[i] == '\n' || cmd[i] == '\t')
				cmd[i] = ' ';
		cmd[len] = '\0';
		e->command = cmd;
	} else {
		free(cmd);
		e->command = xasprintf("[%s]", e->comm);
	}
	e->cpu_pct = 0;
	return true;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The same process in the previous scan (same pid and start time). */
static const struct proc_entry *previous(const struct proclist *pl, const struct proc_entry *e)
{
	const struct proc_entry *p = bsearch(e, pl->prev, pl->nprev, sizeof(*pl->prev), cmp_pid);

	return p && p->start_time == e->start_time ? p : NULL;
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

static bool passes(const struct proclist *pl, const struct proc_entry *e)
{
	char pid[16];

	if (e->kernel_thread && !pl->kernel)
		return false;
	if (!pl->needle)
		return true;
	snprintf(pid, sizeof(pid), "%d", (int)e->pid);
	return contains(e->command, pl->needle) || contains(e->comm, pl->needle) ||
	       contains(e->user, pl->needle) || strstr(pid, pl->needle);
}

static int num_cmp(double a, double b)
{
	return (a > b) - (a < b);
}

/* For glibc's qsort_r: arg is the list. */
static int cmp_shown(const void *a, const void *b, void *arg)
{
	const struct proclist *pl = arg;
	const struct proc_entry *x = &pl->all[*(const size_t *)a];
	const struct proc_entry *y = &pl->all[*(const size_t *)b];
	int c = 0;

	switch (pl->col) {
	case PL_PID:
		break;
	case PL_USER:
		c = strcmp(x->user, y->user);
		break;
	case PL_STATE:
		c = (x->state > y->state) - (x->state < y->state);
		break;
	case PL_CPU: /* the busy first */
		c = num_cmp(y->cpu_pct, x->cpu_pct);
		break;
	case PL_RSS:
		c = num_cmp((double)y->rss, (double)x->rss);
		break;
	case PL_THREADS:
		c = num_cmp(y->threads, x->threads);
		break;
	case PL_COMMAND:
		c = strcasecmp(x->command, y->command);
		break;
	case PL_NCOLS:
		break;
	}
	if (c == 0)
		c = cmp_pid(x, y);
	return pl->reverse ? -c : c;
}

/* Recompute the rows shown from the current entries, filter and sort. */
static void refresh(struct proclist *pl)
{
	pl->nshown = 0;
	pl->shown = xgrow(pl->shown, &pl->shown_cap, pl->nall ? pl->nall : 1, sizeof(*pl->shown));
	for (size_t i = 0; i < pl->nall; i++)
		if (passes(pl, &pl->all[i]))
			pl->shown[pl->nshown++] = i;
	qsort_r(pl->shown, pl->nshown, sizeof(*pl->shown), cmp_shown, pl);
}

int proclist_scan(struct proclist *pl, uint64_t now_ns)
{
	DIR *d = opendir(pl->root);
	struct dirent *de;
	double elapsed_ticks;
	struct proc_entry *swap;
	size_t swap_cap;

	if (!d)
		return -1;
	/* This scan's entries become the previous ones. */
	free_entries(pl->prev, pl->nprev);
	swap = pl->prev;
	swap_cap = pl->prev_cap;
	pl->prev = pl->all;
	pl->nprev = pl->nall;
	pl->prev_cap = pl->all_cap;
	pl->all = swap;
	pl->all_cap = swap_cap;
	pl->nall = 0;
	pl->prev_ns = pl->scan_ns;
	pl->scan_ns = now_ns;

	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		struct proc_entry e;

		if (*end || pid <= 0)
			continue;
		memset(&e, 0, sizeof(e));
		if (!read_entry(pl, (pid_t)pid, &e))
			continue;
		pl->all = xgrow(pl->all, &pl->all_cap, pl->nall + 1, sizeof(*pl->all));
		pl->all[pl->nall++] = e;
	}
	closedir(d);
	qsort(pl->all, pl->nall, sizeof(*pl->all), cmp_pid);

	elapsed_ticks = pl->nprev && now_ns > pl->prev_ns
				? (double)(now_ns - pl->prev_ns) / 1e9 * (double)pl->clk_tck
				: 0;
	for (size_t i = 0; i < pl->nall && elapsed_ticks > 0; i++) {
		struct proc_entry *e = &pl->all[i];
		const struct proc_entry *p = previous(pl, e);

		if (p && e->ticks >= p->ticks)
			e->cpu_pct = 100.0 * (double)(e->ticks - p->ticks) / elapsed_ticks;
	}
	refresh(pl);
	return 0;
}

void proclist_sort(struct proclist *pl, enum proclist_col col, bool reverse)
{
	pl->col = col < PL_NCOLS ? col : PL_CPU;
	pl->reverse = reverse;
	refresh(pl);
}

enum proclist_col proclist_sort_col(const struct proclist *pl)
{
	return pl->col;
}

bool proclist_sort_reversed(const struct proclist *pl)
{
	return pl->reverse;
}

void proclist_filter(struct proclist *pl, const char *needle)
{
	free(pl->needle);
	pl->needle = needle && *needle ? xstrdup(needle) : NULL;
	refresh(pl);
}

const char *proclist_filter_text(const struct proclist *pl)
{
	return pl->needle ? pl->needle : "";
}

void proclist_show_kernel(struct proclist *pl, bool show)
{
	pl->kernel = show;
	refresh(pl);
}

size_t proclist_count(const struct proclist *pl)
{
	return pl->nshown;
}

const struct proc_entry *proclist_get(const struct proclist *pl, size_t i)
{
	return i < pl->nshown ? &pl->all[pl->shown[i]] : NULL;
}

ssize_t proclist_index(const struct proclist *pl, pid_t pid)
{
	for (size_t i = 0; i < pl->nshown; i++)
		if (pl->all[pl->shown[i]].pid == pid)
			return (ssize_t)i;
	return -1;
}

const char *proclist_state_name(char state)
{
	switch (state) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "disk wait";
	case 'T':
		return "stopped";
	case 't':
		return "traced";
	case 'Z':
		return "zombie";
	case 'X':
	case 'x':
		return "dead";
	case 'I':
		return "idle";
	default:
		return "?";
	}
}

char proclist_read_state(const char *proc_root, pid_t pid, pid_t *tracer)
{
	char *stat = slurp(proc_root ? proc_root : "/proc", pid, "stat", NULL), *rp, state = '\0';

	if (tracer)
		*tracer = 0;
	if (!stat)
		return '\0';
	rp = strrchr(stat, ')');
	if (rp && rp[1] == ' ' && rp[2])
		state = rp[2];
	free(stat);
	if (tracer && state == 't') {
		char *status = slurp(proc_root ? proc_root : "/proc", pid, "status", NULL);
		char *tp = status ? strstr(status, "\nTracerPid:") : NULL;

		if (tp)
			*tracer = (pid_t)strtol(tp + 11, NULL, 10);
		free(status);
	}
	return state;
}
