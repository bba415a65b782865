/* The ptrace backend: seizing a process's threads, detaching from them so
 * that the target goes on exactly as before, and, when the kernel says no,
 * saying why (Yama, capabilities, another tracer, another user) and what
 * to do. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "sampler-ptrace-int.h"

/* A field of /proc/PID/status as a number ("TracerPid:", "Uid:"), or dflt. */
static long long status_field(pid_t pid, const char *name, int base, long long dflt)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long long v = dflt;
	FILE *f;

	snprintf(path, sizeof(path), pid ? "/proc/%d/status" : "/proc/self/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return dflt;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len)) {
			v = strtoll(line + len, NULL, base);
			break;
		}
	}
	fclose(f);
	return v;
}

static bool have_cap_sys_ptrace(void)
{
	return (status_field(0, "CapEff:", 16, 0) >> 19) & 1; /* CAP_SYS_PTRACE */
}

/* Why PTRACE_SEIZE of pid failed with e, and what to do about it. */
static void explain_refusal(pid_t pid, int e, char *err, size_t len)
{
	long long tracer = status_field(pid, "TracerPid:", 10, 0);
	long long uid = status_field(pid, "Uid:", 10, -1);
	int scope = file_read_int("/proc/sys/kernel/yama/ptrace_scope", -1);
	bool cap = have_cap_sys_ptrace();
	const char *launch = "or launch the program under proftop instead (proftop -- COMMAND)";

	if (e == ESRCH) {
		snprintf(err, len, "process %d exited while proftop was attaching", (int)pid);
	} else if (e != EPERM && e != EACCES) {
		snprintf(err, len, "cannot trace process %d: %s", (int)pid, strerror(e));
	} else if (tracer > 0 && tracer != getpid()) {
		snprintf(err, len,
			 "process %d is already traced by pid %lld (a debugger or another "
			 "profiler); detach that first, or use --backend perf",
			 (int)pid, tracer);
	} else if (scope == 3) {
		snprintf(err, len,
			 "ptrace is disabled on this system (kernel.yama.ptrace_scope is 3 until "
			 "reboot); use --backend perf");
	} else if (scope == 2 && !cap) {
		snprintf(err, len,
			 "cannot attach to process %d: kernel.yama.ptrace_scope is 2 (attaching "
			 "needs CAP_SYS_PTRACE); run proftop with sudo, %s",
			 (int)pid, launch);
	} else if (scope == 1 && !cap) {
		snprintf(err, len,
			 "cannot attach to process %d: kernel.yama.ptrace_scope is 1 (only "
			 "descendants may be traced); run proftop with sudo, or 'sudo sysctl "
			 "kernel.yama.ptrace_scope=0', %s",
			 (int)pid, launch);
	} else if (geteuid() == 0 && !cap) {
		snprintf(err, len,
			 "cannot attach to process %d: no CAP_SYS_PTRACE (in a container?); start "
			 "the container with --cap-add SYS_PTRACE, %s",
			 (int)pid, launch);
	} else if (uid >= 0 && uid != (long long)getuid() && !cap) {
		snprintf(err, len,
			 "cannot attach to process %d: it belongs to another user (uid %lld); run "
			 "proftop as that user, or with sudo",
			 (int)pid, uid);
	} else {
		snprintf(err, len, "cannot trace process %d: %s", (int)pid, strerror(e));
	}
}

static void read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	comm[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, (int)len, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	if (!comm[0])
		snprintf(comm, len, "?");
}

/* Some thread of process pid traces another process: its tracee, or 0.
 * Scans every process's threads (once, at attach). */
static pid_t find_tracee_of(pid_t pid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		pid_t other = (pid_t)atoi(de->d_name), tgid = 0, ppid = 0, tracer;

		if (other <= 0 || other == pid)
			continue;
		tracer = (pid_t)status_field(other, "TracerPid:", 10, 0);
		if (tracer > 0 && tracer != getpid() && pt_read_ids(tracer, &tgid, &ppid) &&
		    tgid == pid)
			found = other;
	}
	closedir(d);
	return found;
}

/* The ptrace backend cannot share a process with another tracer: refuse
 * a target that is traced (its debugger would lose it) or traces others
 * (its tracees' stops and our own would tangle), before touching it. */
static int check_not_tracing(pid_t pid, char *err, size_t len)
{
	long long tracer = status_field(pid, "TracerPid:", 10, 0);
	char comm[32], other[32];
	pid_t tracee;

	if (tracer > 0 && tracer != getpid()) {
		read_comm((pid_t)tracer, other, sizeof(other));
		snprintf(
			err, len,
			"process %d is already traced by pid %lld (%s); the ptrace backend cannot "
			"profile a traced process: detach that tracer first, or use --backend perf",
			(int)pid, tracer, other);
		return -1;
	}
	tracee = find_tracee_of(pid);
	if (tracee > 0) {
		read_comm(pid, comm, sizeof(comm));
		snprintf(err, len,
			 "process %d (%s) traces process %d (a debugger or strace); the ptrace "
			 "backend cannot profile a tracer: use --backend perf",
			 (int)pid, comm, (int)tracee);
		return -1;
	}
	return 0;
}

/* Whether the program of pid traces processes itself: it calls ptrace()
 * (debuggers, strace, ltrace) or carries LeakSanitizer (ASan), which
 * attaches to its own process at exit. Read from its dynamic symbols. */
bool pt_program_traces(pid_t pid)
{
	char path[64];
	bool traces = false;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && !traces && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !traces; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    !(name = elf_strptr(elf, sh.sh_link, sym.st_name)))
				continue;
			traces = (sym.st_shndx == SHN_UNDEF && !strcmp(name, "ptrace")) ||
				 !strcmp(name, "__asan_init") || !strncmp(name, "__lsan_", 7);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return traces;
}

static char task_state(pid_t pid, pid_t tid)
{
	struct pt_thread probe = {.tid = tid, .pid = pid};
	char st;

	probe.stat_fd = pt_open_task_file(pid, tid, "stat");
	st = pt_read_state(&probe);
	if (probe.stat_fd >= 0)
		close(probe.stat_fd);
	return st;
}

/* Seize every thread of pid; threads born meanwhile of threads not yet
 * seized are found by the next pass, later ones are followed through
 * PTRACE_O_TRACECLONE. 0, or -1 with err. */
int pt_seize_process(struct sampler *s, pid_t pid, char *err, size_t errlen)
{
	char path[64];

	if (check_not_tracing(pid, err, errlen) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	for (int pass = 0; pass < 64; pass++) {
		DIR *d = opendir(path);
		struct dirent *de;
		int added = 0;

		if (!d)
			break;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);

			if (tid <= 0 || pt_find_thread(s, tid))
				continue;
			if (pt_request(PTRACE_SEIZE, tid, 0, PT_OPTIONS) < 0) {
				int e = errno;

				/* A thread that ended meanwhile is no error; nor one
				 * refused once its process is ours: permission is the
				 * process's, so that thread was exiting (its state can
				 * still read R or S while it does). */
				if (e == ESRCH ||
				    (e == EPERM && (strchr("ZX?", task_state(pid, tid)) ||
						    (tid != pid && pt_find_thread(s, pid)))))
					continue;
				closedir(d);
				explain_refusal(pid, e, err, errlen);
				return -1;
			}
			pt_add_thread(s, pid, tid, false);
			added++;
		}
		closedir(d);
		if (!added)
			break;
	}
	if (!pt_find_thread(s, pid)) {
		explain_refusal(pid, ESRCH, err, errlen);
		return -1;
	}
	return 0;
}

/* Peek at our launched child's wait status without reaping an exit: a
 * child that ended is the target's to reap once we have let go. Returns
 * true if there is a stop to take. */
static bool child_has_stop(struct sampler *s, struct pt_thread *t, bool *ended)
{
	siginfo_t si;

	*ended = false;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)t->tid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0) {
		*ended = errno == ECHILD;
		return false;
	}
	if (si.si_pid == 0)
		return false;
	if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
		*ended = true;
		return false;
	}
	(void)s;
	return true;
}

/* Detach from one thread that reported status: it goes on as if we had
 * never been there (a signal it was to receive is delivered, a group-stop
 * stays). Threads it created meanwhile are traced too: wait for them. */
static void detach_stopped(struct sampler *s, pid_t tid, int status)
{
	int event = (int)((unsigned)status >> 16);
	unsigned long msg = 0;
	struct pt_thread *t;

	if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
	    event == PTRACE_EVENT_CLONE) {
		if (pt_request(PTRACE_GETEVENTMSG, tid, 0, (unsigned long)&msg) == 0 && msg &&
		    !pt_find_thread(s, (pid_t)msg)) {
			pid_t tgid = (pid_t)msg, ppid;

			pt_read_ids((pid_t)msg, &tgid, &ppid);
			pt_add_thread(s, tgid, (pid_t)msg, true);
		}
	} else if (event == PTRACE_EVENT_EXEC) {
		if (pt_request(PTRACE_GETEVENTMSG, tid, 0, (unsigned long)&msg) == 0 &&
		    (pid_t)msg != tid && (t = pt_find_thread(s, (pid_t)msg)))
			pt_drop_thread(s, t);
	}
	pt_keep_syscall(tid, status);
	pt_request(PTRACE_DETACH, tid, 0, (unsigned long)(event == 0 ? WSTOPSIG(status) : 0));
	t = pt_find_thread(s, tid);
	if (t) {
		t->want_sample = false;
		pt_drop_thread(s, t);
	}
}

/* Stop every traced thread and detach it. PTRACE_DETACH needs the thread
 * in a ptrace-stop: interrupt, wait for that thread, detach. Waits are per
 * thread so that the launched child's exit stays unreaped. */
void pt_detach_all(struct sampler *s)
{
	uint64_t deadline = loop_now_ns() + PT_DETACH_WAIT_MS * 1000000ull;

	for (size_t i = 0; i < s->nthreads; i++)
		pt_request(PTRACE_INTERRUPT, s->threads[i].tid, 0, 0);
	while (s->nthreads > 0) {
		bool progress = false;

		for (size_t i = 0; i < s->nthreads;) {
			struct pt_thread *t = &s->threads[i];
			bool ended;
			int status;
			pid_t r;

			if (t->tid == s->child && !child_has_stop(s, t, &ended)) {
				if (ended) {
					pt_drop_thread(s, t);
					progress = true;
				} else {
					i++;
				}
				continue;
			}
			r = waitpid(t->tid, &status, __WALL | WNOHANG);
			if (r == 0) {
				i++;
				continue;
			}
			progress = true;
			if (r < 0 || !WIFSTOPPED(status))
				pt_drop_thread(s, t); /* ended, or no longer ours */
			else
				detach_stopped(s, t->tid, status);
		}
		if (!progress && !pt_wait_sigchld(s, deadline))
			break;
	}
	/* Threads that never stopped (stuck in the kernel): the kernel
	 * detaches them when proftop exits. */
	while (s->nthreads > 0)
		pt_drop_thread(s, &s->threads[s->nthreads - 1]);
}
