/* pool: a thread pool of 16 workers idling on a condition variable in
 * pool_worker() while one thread computes in pool_busy() for about SCALE
 * CPU seconds (default 1); then the workers are told to quit. On the wall
 * clock the idle workers hold 16 times the busy thread's time, all of it
 * in pthread_cond_wait: hidden as idle waits unless --idle. */
#include <pthread.h>
#include <time.h>

#include "workload.h"

#define WORKERS 16

volatile uint64_t workload_sink;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static int quit;

__attribute__((noinline)) static void *pool_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!quit)
		pthread_cond_wait(&work, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void *pool_busy(void *arg)
{
	double until = thread_cpu() + *(double *)arg;

	while (thread_cpu() < until)
		SPIN(200000);
	return NULL;
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv);
	pthread_t w[WORKERS], busy;

	for (int i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, pool_worker, NULL);
	pthread_create(&busy, NULL, pool_busy, &scale);
	pthread_join(busy, NULL);
	pthread_mutex_lock(&mu);
	quit = 1;
	pthread_cond_broadcast(&work);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	return 0;
}
