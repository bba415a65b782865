/* libunwind 1.6 (Debian's build) guards its global cache with a lock that
 * blocks every signal around each access: two rt_sigprocmask calls per
 * frame, half of proftop's CPU per sample. The lock protects the cache
 * from a signal handler unwinding on the same thread; proftop unwinds
 * only in its collector, never from a handler, so while an unwind runs
 * (unwind_sigmask_skip(true)) the calls libunwind makes are answered
 * without the system call. Everywhere else, and on every other thread,
 * sigprocmask is glibc's pthread_sigmask, which is what glibc's own
 * sigprocmask is. This definition in the executable is the one the
 * dynamic linker binds libunwind's (and every library's) calls to. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "unwind.h"

static __thread bool skip_sigmask;

void unwind_sigmask_skip(bool skip)
{
	skip_sigmask = skip;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int rc;

	if (skip_sigmask) {
		/* libunwind saves the old mask, then restores it: both skipped */
		if (old)
			sigemptyset(old);
		return 0;
	}
	rc = pthread_sigmask(how, set, old);
	if (rc) {
		errno = rc;
		return -1;
	}
	return 0;
}
