/* waits: where a thread's wall time goes, known by construction. The main
 * thread runs four phases of about SCALE seconds each (default 1):
 *   waits_compute()  burns CPU (until its thread CPU clock shows SCALE s)
 *   waits_sleep()    nanosleep                 -> [off-CPU: clock_nanosleep]
 *   waits_read()     read on a pipe a helper writes to after SCALE s
 *                                              -> [off-CPU: read]
 *   waits_lock()     pthread_mutex_lock on a mutex a helper holds for SCALE s
 *                                              -> [off-CPU: futex]
 * so on the wall clock each is a quarter of the main thread's time, and on
 * the CPU clock waits_compute() is all of it. A third helper,
 * waits_forever(), blocks in read on a pipe nobody writes for the whole run:
 * one wait. Prints "waits: main TID" first, and at the end each phase's
 * wall time and main's, from its first line to its last:
 *   waits: wall compute C sleep S read R lock L main M */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink;
static double scale = 1.0;
static int data_pipe[2], never_pipe[2];
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static sem_t holding;

static void nap(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void waits_compute(void)
{
	double until = thread_cpu() + scale;

	while (thread_cpu() < until)
		SPIN(200000);
}

__attribute__((noinline)) static void waits_sleep(void)
{
	nap(scale);
	__asm__ volatile("" ::: "memory"); /* no tail call: keep this frame */
}

__attribute__((noinline)) static void waits_read(void)
{
	char c;

	if (read(data_pipe[0], &c, 1) != 1)
		perror("waits: read");
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void waits_lock(void)
{
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	__asm__ volatile("" ::: "memory");
}

static void *writer(void *arg)
{
	(void)arg;
	nap(scale);
	if (write(data_pipe[1], "x", 1) != 1)
		perror("waits: write");
	return NULL;
}

static void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&held);
	sem_post(&holding);
	nap(scale);
	pthread_mutex_unlock(&held);
	return NULL;
}

__attribute__((noinline)) static void *waits_forever(void *arg)
{
	char c;

	(void)arg;
	if (read(never_pipe[0], &c, 1) < 0)
		perror("waits: read");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t w, h, f;
	double t0 = now(), t[5];

	scale = workload_scale(argc, argv);
	printf("waits: main %ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	if (pipe(data_pipe) < 0 || pipe(never_pipe) < 0 || sem_init(&holding, 0, 0) < 0)
		return 1;
	pthread_create(&f, NULL, waits_forever, NULL);
	t[0] = now();
	waits_compute();
	t[1] = now();
	waits_sleep();
	pthread_create(&w, NULL, writer, NULL);
	t[2] = now();
	waits_read();
	t[3] = now();
	pthread_join(w, NULL);
	pthread_create(&h, NULL, holder, NULL);
	while (sem_wait(&holding) != 0)
		;
	t[4] = now();
	waits_lock();
	t[4] = now() - t[4];
	pthread_join(h, NULL);
	printf("waits: wall compute %.3f sleep %.3f read %.3f lock %.3f main %.3f\n", t[1] - t[0],
	       t[2] - t[1], t[3] - t[2], t[4], now() - t0);
	return 0;
}
