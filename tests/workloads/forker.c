/* forker [N [MS [P]]]: forks N (default 200) short-lived children, P
 * (default 4) at a time;
 * each spins about MS (default 30) ms of CPU in forker_child() and exits.
 * The parent spins a little in forker_parent() between forks. Prints
 * "forker: N children" at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) static void forker_child(unsigned ms)
{
	uint64_t end = cpu_ns() + ms * 1000000ull;

	while (cpu_ns() < end)
		SPIN(20000);
}

__attribute__((noinline)) static void forker_parent(void)
{
	SPIN(200000);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	unsigned ms = argc > 2 ? (unsigned)atoi(argv[2]) : 30;
	int par = argc > 3 ? atoi(argv[3]) : 4;
	int running = 0, done = 0;

	for (int i = 0; i < n; i++) {
		pid_t pid;

		if (running >= par) {
			if (wait(NULL) > 0)
				done++;
			running--;
		}
		forker_parent();
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			forker_child(ms);
			_exit(0);
		}
		if (pid > 0)
			running++;
	}
	while (running-- > 0)
		if (wait(NULL) > 0)
			done++;
	printf("forker: %d children\n", done);
	return 0;
}
