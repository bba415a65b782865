/* Shared pieces of the test workloads: a unit of CPU work that the compiler
 * can neither fold nor vectorise, and the scale argument.
 *
 * SPIN is a macro on purpose: an inline function would appear in proftop's
 * report as its own (inlined) function and take the self time away from the
 * function that the test expects to see. */
#ifndef PROFTOP_WORKLOAD_H
#define PROFTOP_WORKLOAD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* Every workload publishes its results here so that nothing is dead code. */
extern volatile uint64_t workload_sink;

/* In the frame-pointer builds (-DWORKLOAD_FRAME_POINTERS): GCC sets up no
 * frame in a leaf function that does not need one, even with
 * -fno-omit-frame-pointer, and a frame-pointer unwind from such a leaf skips
 * its caller. Taking the frame's address forces the frame. */
#ifdef WORKLOAD_FRAME_POINTERS
static void *volatile workload_frame;
#define WORKLOAD_FORCE_FRAME() (workload_frame = __builtin_frame_address(0))
#else
#define WORKLOAD_FORCE_FRAME() ((void)0)
#endif

/* n steps of a 64-bit LCG followed by an xorshift: a serial dependency chain
 * (multiply, add, shift, xor) of the same cost in every function. */
#define SPIN(n)                                                                   \
	do {                                                                      \
		WORKLOAD_FORCE_FRAME();                                           \
		uint64_t spin_x_ = workload_sink | 1;                             \
		for (uint64_t spin_i_ = 0; spin_i_ < (uint64_t)(n); spin_i_++) {   \
			spin_x_ = spin_x_ * 6364136223846793005ULL + 1442695040888963407ULL; \
			spin_x_ ^= spin_x_ >> 29;                                 \
		}                                                                 \
		workload_sink = spin_x_;                                          \
	} while (0)

/* SPIN iterations in one "unit"; scale 1.0 is WORKLOAD_UNITS units. */
#define SPIN_PER_UNIT 1000000ULL

/* argv[1], if present, scales the amount of work (default 1.0, which takes
 * about 1.5-2 s of CPU on a 2020s x86-64 core). */
static inline double workload_scale(int argc, char **argv)
{
	double s = 1.0;
	if (argc > 1) {
		char *end;
		s = strtod(argv[1], &end);
		if (*end != '\0' || !(s > 0)) {
			fprintf(stderr, "usage: %s [SCALE > 0]\n", argv[0]);
			exit(2);
		}
	}
	return s;
}

/* --time (the allocation bench): the run time since t0 (CLOCK_MONOTONIC)
 * and the process's CPU time, user and system, and minor faults, on
 * stderr as "elapsed 1.234 s cpu 1.100 s (user ... sys ..., N minor
 * faults)". */
static inline void workload_print_time(const struct timespec *t0)
{
	struct timespec t1, cpu;
	struct rusage ru;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"elapsed %.3f s cpu %.3f s (user %.3f sys %.3f, %ld minor faults, %ld+%ld context "
		"switches)\n",
		(double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9,
		(double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9,
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_minflt,
		ru.ru_nvcsw, ru.ru_nivcsw);
}

#endif
