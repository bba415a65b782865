/* The profiled program: launched (fork, held before exec until the
 * sampler is ready, so not one instruction is missed) or attached to. */
#ifndef PROFTOP_TARGET_H
#define PROFTOP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct target {
	pid_t pid;     /* main process */
	bool launched; /* we forked it (and must reap it) */
	int pidfd;     /* readable when the process exits; -1 if unsupported */
	int go_fd;     /* launch: writing releases the child into exec */
	int err_fd;    /* launch: exec's errno arrives here, EOF on success */
	bool ended;    /* the main process is gone */
	bool exited;   /* ended by exit(): exit_status valid */
	int exit_status;
	int term_signal;    /* ended by this signal */
	bool stopped_by_us; /* we sent the signal (duration over, SIGINT) */
	bool traced;	    /* a tracer (the ptrace backend) waits for it: we must not */
	char *command;	    /* the command line, space-joined (owned) */
};

/* Where a launched target's standard streams go. */
struct target_io {
	int out_fd;	     /* stdout and stderr (a pty slave), -1: inherit ours */
	bool null_stdin;     /* stdin from /dev/null */
	bool stdin_from_out; /* stdin from out_fd too (the pty: proftop forwards keys) */
	bool new_session;    /* setsid(), no controlling terminal */
	bool keep_running;   /* outlive proftop (else PR_SET_PDEATHSIG kills it with us) */
	char **envp;	     /* the environment to exec with; NULL: ours */
	int keep_fds[2];     /* fds the program inherits (FD_CLOEXEC cleared)... */
	int nkeep;	     /* ...how many of them */
};

/* Fork argv[0] (searched in PATH), held before exec; io NULL inherits our
 * streams and ties the target's life to ours. 0, or -1 with err. */
int target_launch(struct target *t, char **argv, const struct target_io *io, char *err,
		  size_t errlen);
/* Let the held child exec; -1 with err if exec failed (not found, not
 * executable): the child is then reaped. */
int target_release(struct target *t, char *err, size_t errlen);
/* The same, with at_exec(arg) called while the new program is held right
 * after its exec, before its first instruction (a ptrace exec stop; the
 * memory timeline's start). Without ptrace (refused, or a tracer owns the
 * target) at_exec runs as soon as exec is seen, the target running. */
int target_release_at_exec(struct target *t, void (*at_exec)(void *), void *arg, char *err,
			   size_t errlen);
/* Check pid can be profiled (exists, not a zombie, not proftop). */
int target_attach(struct target *t, pid_t pid, char *err, size_t errlen);
/* Poll for the end of the main process without blocking; true once ended. */
bool target_check(struct target *t);
/* Hand waiting over to a tracer (traced = true) or take it back. While
 * traced, target_check never calls waitpid, which would take the tracer's
 * stop notifications; the tracer reports the end through target_note_status. */
void target_set_traced(struct target *t, bool traced);
/* The main process ended with this wait status (as waitpid gave it). */
void target_note_status(struct target *t, int status);
/* End a launched target: SIGTERM, then SIGKILL after grace_ms. Waits. An
 * attached target is left alone. */
void target_stop(struct target *t, int grace_ms);
void target_free(struct target *t);
/* "exited with status 0", "killed by SIGSEGV", "running (detached)". */
/* "SIGSEGV" (a static buffer). */
const char *target_signal_name(int sig);
const char *target_describe(const struct target *t, char *buf, size_t len);

/* argv0 as execvp will find it (a path, or searched in $PATH), in buf;
 * false if not found. */
bool target_find_command(const char *argv0, char *buf, size_t len);

#endif
