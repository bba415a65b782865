#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target.h"
#include "xalloc.h"

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static char *join_argv(char **argv)
{
	size_t len = 1;
	char *s, *p;

	for (char **a = argv; *a; a++)
		len += strlen(*a) + 1;
	s = p = xmalloc(len);
	for (char **a = argv; *a; a++)
		p += sprintf(p, "%s%s", a == argv ? "" : " ", *a);
	*p = '\0';
	return s;
}

static void target_init(struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->pidfd = t->go_fd = t->err_fd = -1;
}

/* In the child, before exec: wire the standard streams. */
static void child_setup_io(const struct target_io *io)
{
	if (!io)
		return;
	/* A session of its own, away from the terminal the TUI owns. The pty
	 * becomes its controlling terminal only when it reads it (--stdin);
	 * the collector never closes the master while the target may still
	 * use it, since that hangup is what sent SIGHUP to targets that had
	 * closed their ends of the pty and ran on. isatty() is true anyway. */
	if (io->new_session)
		setsid();
	if (io->null_stdin) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
	}
	if (io->stdin_from_out && io->out_fd >= 0) {
		dup2(io->out_fd, 0);
		/* The terminal the target reads is its controlling terminal:
		 * /dev/tty opens, job control and password prompts work. */
		if (io->new_session)
			ioctl(0, TIOCSCTTY, 0);
	}
	if (io->out_fd >= 0) {
		dup2(io->out_fd, 1);
		dup2(io->out_fd, 2);
		if (io->out_fd > 2)
			close(io->out_fd);
	}
}

/* The ELF class of the file at path: 1 (32-bit), 2 (64-bit), 0 if not ELF
 * or unreadable. */
static int elf_class(const char *path)
{
	unsigned char h[5];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h) || memcmp(h, "\177ELF", 4))
		return 0;
	return h[4];
}

bool target_find_command(const char *argv0, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(argv0, '/')) {
		snprintf(buf, len, "%s", argv0);
		return access(buf, F_OK) == 0;
	}
	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, len, "%.*s/%s", (int)n, n ? p : ".", argv0);
		if (access(buf, X_OK) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

/* Programs proftop cannot profile, said before they start: a 32-bit
 * program (the unwinder and symbols are x86-64 only), and, for a normal
 * user, a set-user-ID or set-group-ID program (the kernel stops perf and
 * ptrace from following the exec into other credentials). */
static int check_launchable(const char *argv0, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;

	if (!target_find_command(argv0, path, sizeof(path)) || stat(path, &st) < 0)
		return 0; /* exec will say */
	if (elf_class(path) == 1) {
		snprintf(err, errlen,
			 "%s is a 32-bit program (i386 ELF): proftop profiles 64-bit (x86-64) "
			 "programs only; rebuild it for x86-64 (without -m32)",
			 argv0);
		return -1;
	}
	if (geteuid() != 0 && ((st.st_mode & S_ISUID && st.st_uid != geteuid()) ||
			       (st.st_mode & S_ISGID && st.st_gid != getegid()))) {
		snprintf(err, errlen,
			 "%s is set-%s-ID (owner uid %u): the kernel lets no normal user profile "
			 "it; run proftop as root (sudo proftop ...), or profile a copy without "
			 "the set-ID bit",
			 argv0, st.st_mode & S_ISUID ? "user" : "group", (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

int target_launch(struct target *t, char **argv, const struct target_io *io, char *err,
		  size_t errlen)
{
	int go[2], ep[2];
	pid_t pid, parent;

	target_init(t);
	t->command = join_argv(argv);
	if (check_launchable(argv[0], err, errlen) < 0)
		return -1;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char c;
		sigset_t none;
		int e;

		close(go[1]);
		close(ep[0]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* Die with proftop: a profiler killed with SIGKILL must not leave
		 * its target running unseen. If proftop died before the prctl,
		 * the signal will never come: give up now. */
		if (!io || !io->keep_running) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(127);
		}
		child_setup_io(io);
		for (int i = 0; io && i < io->nkeep && i < 2; i++)
			fcntl(io->keep_fds[i], F_SETFD, 0);
		/* Held here until the sampler is attached. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		if (io && io->envp)
			execvpe(argv[0], argv, io->envp);
		else
			execvp(argv[0], argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ep[1]);
	t->pid = pid;
	t->launched = true;
	t->go_fd = go[1];
	t->err_fd = ep[0];
	t->pidfd = open_pidfd(pid);
	return 0;
}

int target_release(struct target *t, char *err, size_t errlen)
{
	return target_release_at_exec(t, NULL, NULL, err, errlen);
}

/* Wait for the exec stop of a child we seized, call at_exec, let it go.
 * Killed before that: its status is noted (we reaped it). */
static void exec_stop(struct target *t, void (*at_exec)(void *), void *arg)
{
	int st;

	while (waitpid(t->pid, &st, __WALL) == t->pid) {
		if (!WIFSTOPPED(st)) {
			target_note_status(t, st);
			return;
		}
		if (st >> 8 == (SIGTRAP | PTRACE_EVENT_EXEC << 8)) {
			at_exec(arg);
			ptrace(PTRACE_DETACH, t->pid, 0, 0);
			return;
		}
		/* a signal meanwhile: pass it on, wait again */
		ptrace(PTRACE_CONT, t->pid, 0, (void *)(long)WSTOPSIG(st));
	}
}

int target_release_at_exec(struct target *t, void (*at_exec)(void *), void *arg, char *err,
			   size_t errlen)
{
	int e;
	ssize_t n;
	char c = 'g';
	bool seized;

	if (t->go_fd < 0)
		return 0;
	/* Held at exec by an exec event: seizing does not stop the child. */
	seized = at_exec && !t->traced &&
		 ptrace(PTRACE_SEIZE, t->pid, 0, (void *)(long)PTRACE_O_TRACEEXEC) == 0;
	if (write(t->go_fd, &c, 1) != 1) {
		snprintf(err, errlen, "cannot start the target: %s", strerror(errno));
		return -1;
	}
	close(t->go_fd);
	t->go_fd = -1;
	do
		n = read(t->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(t->err_fd);
	t->err_fd = -1;
	if (n == sizeof(e)) {
		const char *cmd = t->command;
		size_t len = strcspn(cmd, " ");

		if (e == ENOENT)
			snprintf(err, errlen, "%.*s: command not found", (int)len, cmd);
		else
			snprintf(err, errlen, "cannot execute %.*s: %s", (int)len, cmd,
				 strerror(e));
		if (!t->traced) /* else the tracer reaps it */
			waitpid(t->pid, NULL, __WALL);
		t->ended = true;
		return -1;
	}
	if (seized)
		exec_stop(t, at_exec, arg);
	else if (at_exec)
		at_exec(arg);
	return 0;
}

/* The kernel's rule for perf_event_open and ptrace on another process
 * (ptrace_may_access, real credentials): our uid and gid equal its real,
 * effective and saved ones, or we have CAP_SYS_PTRACE. *owner: its euid. */
static bool may_trace(pid_t pid, long *owner)
{
	char path[64], line[256];
	long ids[2][3] = {{-1, -1, -1}, {-1, -1, -1}};
	unsigned long long capeff = 0;
	bool same = true;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true; /* gone: let the backend say so */
	while (fgets(line, sizeof(line), f)) {
		int which = !strncmp(line, "Uid:", 4) ? 0 : !strncmp(line, "Gid:", 4) ? 1 : -1;

		if (which >= 0)
			sscanf(line + 4, "%ld %ld %ld", &ids[which][0], &ids[which][1],
			       &ids[which][2]);
	}
	fclose(f);
	*owner = ids[0][1];
	for (int i = 0; i < 3; i++)
		same = same && ids[0][i] == (long)getuid() && ids[1][i] == (long)getgid();
	if (same)
		return true;
	f = fopen("/proc/self/status", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "CapEff:", 7))
				capeff = strtoull(line + 7, NULL, 16);
		fclose(f);
	}
	return (capeff >> 19) & 1; /* CAP_SYS_PTRACE */
}

/* Processes proftop cannot profile, said in one line rather than with 0
 * samples: kernel threads, 32-bit programs, and, for a normal user, a
 * process of its own that is not dumpable (the files in its /proc
 * directory then belong to root, and the kernel refuses perf and ptrace to all but root). stat is
 * the process's /proc stat line. */
static int check_attachable(pid_t pid, const char *stat_line, char *err, size_t errlen)
{
	const char *lp = strchr(stat_line, '('), *rp = strrchr(stat_line, ')');
	char comm[64] = "?", path[64];
	unsigned long flags = 0;
	struct stat st;

	if (lp && rp && rp > lp) {
		snprintf(comm, sizeof(comm), "%.*s", (int)(rp - lp - 1), lp + 1);
		/* After ")": state ppid pgrp session tty_nr tpgid flags */
		sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags);
	}
	if (flags & 0x00200000) { /* PF_KTHREAD */
		snprintf(err, errlen,
			 "process %d (%s) is a kernel thread: proftop profiles user-space "
			 "programs; for the kernel use 'perf top' or 'perf record -a -g'",
			 (int)pid, comm);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (elf_class(path) == 1) {
		snprintf(
			err, errlen,
			"process %d (%s) runs a 32-bit program (i386 ELF): proftop profiles 64-bit "
			"(x86-64) programs only; rebuild it for x86-64 (without -m32)",
			(int)pid, comm);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (getuid() != 0 && stat(path, &st) == 0 && st.st_uid == 0) {
		snprintf(err, errlen,
			 "process %d (%s) is not dumpable (it called prctl(PR_SET_DUMPABLE, 0) or "
			 "changed its user ids): only root may profile it; run proftop with sudo",
			 (int)pid, comm);
		return -1;
	}
	return 0;
}

int target_attach(struct target *t, pid_t pid, char *err, size_t errlen)
{
	char path[64], buf[512];
	FILE *f;
	char state = '?';
	long owner = -1;

	target_init(t);
	t->pid = pid;
	buf[0] = '\0';
	if (pid == getpid()) {
		snprintf(err, errlen,
			 "pid %d is proftop itself; give the pid of the program to profile",
			 (int)pid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "no process with pid %d (see ps or pgrep for the right one)",
			 (int)pid);
		return -1;
	}
	if (fgets(buf, sizeof(buf), f)) {
		char *rp = strrchr(buf, ')');

		if (rp && rp[1] == ' ')
			state = rp[2];
	}
	fclose(f);
	if (state == 'Z' || state == 'X') {
		snprintf(err, errlen, "process %d is a zombie (it has exited): nothing to profile",
			 (int)pid);
		return -1;
	}
	if (!may_trace(pid, &owner)) {
		snprintf(err, errlen,
			 "process %d belongs to another user (uid %ld); run proftop as that user, "
			 "or "
			 "with sudo",
			 (int)pid, owner);
		return -1;
	}
	if (check_attachable(pid, buf, err, errlen) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "r");
	if (f) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);

		fclose(f);
		for (size_t i = 0; i + 1 < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		t->command = xstrdup(buf);
	} else {
		t->command = xasprintf("pid %d", (int)pid);
	}
	t->pidfd = open_pidfd(pid);
	return 0;
}

static void note_status(struct target *t, int status)
{
	t->ended = true;
	if (WIFEXITED(status)) {
		t->exited = true;
		t->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		t->term_signal = WTERMSIG(status);
	}
}

void target_note_status(struct target *t, int status)
{
	if (!t->ended)
		note_status(t, status);
}

void target_set_traced(struct target *t, bool traced)
{
	t->traced = traced;
}

bool target_check(struct target *t)
{
	if (t->ended)
		return true;
	if (t->launched && t->traced)
		return false; /* the tracer reaps it and tells us */
	if (t->launched) {
		int status;
		pid_t r = waitpid(t->pid, &status, WNOHANG);

		if (r == t->pid)
			note_status(t, status);
		else if (r < 0 && errno == ECHILD)
			t->ended = true;
	} else if (kill(t->pid, 0) < 0 && errno == ESRCH) {
		t->ended = true;
	} else {
		/* A zombie of someone else's is ended for us. */
		char path[64], buf[512];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)t->pid);
		f = fopen(path, "r");
		if (!f) {
			t->ended = true;
		} else {
			if (fgets(buf, sizeof(buf), f)) {
				char *rp = strrchr(buf, ')');

				if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
					t->ended = true;
			}
			fclose(f);
		}
	}
	return t->ended;
}

void target_stop(struct target *t, int grace_ms)
{
	if (!t->launched || t->ended)
		return;
	if (t->go_fd >= 0) {
		/* Never exec'd. */
		kill(t->pid, SIGKILL);
	} else {
		t->stopped_by_us = true;
		kill(t->pid, SIGTERM);
	}
	for (int waited = 0; waited < grace_ms; waited += 10) {
		if (target_check(t))
			return;
		if (t->pidfd >= 0) {
			struct pollfd p = {.fd = t->pidfd, .events = POLLIN};

			poll(&p, 1, 10);
		} else {
			usleep(10000);
		}
	}
	kill(t->pid, SIGKILL);
	{
		int status;

		if (waitpid(t->pid, &status, 0) == t->pid)
			note_status(t, status);
	}
}

void target_free(struct target *t)
{
	if (t->go_fd >= 0)
		close(t->go_fd);
	if (t->err_fd >= 0)
		close(t->err_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t->command);
	t->go_fd = t->err_fd = t->pidfd = -1;
	t->command = NULL;
}

const char *target_signal_name(int sig)
{
	static char buf[32];
	const char *ab = sigabbrev_np(sig);

	if (ab)
		snprintf(buf, sizeof(buf), "SIG%s", ab);
	else
		snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

const char *target_describe(const struct target *t, char *buf, size_t len)
{
	if (!t->ended)
		snprintf(buf, len, t->launched ? "running" : "running (detached)");
	else if (t->exited)
		snprintf(buf, len, "exited with status %d", t->exit_status);
	else if (t->term_signal)
		snprintf(buf, len, "killed by %s%s", target_signal_name(t->term_signal),
			 t->stopped_by_us ? " (stopped by proftop)" : "");
	else
		snprintf(buf, len, "exited");
	return buf;
}
