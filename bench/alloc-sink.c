/* The allocation tracker with nothing behind it: runs a command with
 * proftop-alloc.so preloaded and a ring whose records are read and thrown
 * away (no unwinding, no symbols), so that the command's CPU time shows
 * the tracker's own cost inside it, apart from proftop's work beside it.
 * (bench/alloc-bench.sh's "tracker" mode.)
 *
 * Usage: alloc-sink LIBRARY SAMPLE_BYTES COMMAND [ARG...] */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "allocring.h"

#define DATA (32u << 20)

int main(int argc, char **argv)
{
	struct timespec tick = {0, 1000000};
	struct allocring_header *h;
	uint8_t *data;
	char fdbuf[32];
	int fd, status;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: %s LIBRARY SAMPLE_BYTES COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	fd = memfd_create("proftop-alloc", 0);
	if (fd < 0 || ftruncate(fd, ALLOCRING_HEADER_SIZE + DATA) < 0) {
		perror("alloc-sink: memfd");
		return 1;
	}
	h = mmap(NULL, ALLOCRING_HEADER_SIZE + DATA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		perror("alloc-sink: mmap");
		return 1;
	}
	data = (uint8_t *)h + ALLOCRING_HEADER_SIZE;
	h->header_size = ALLOCRING_HEADER_SIZE;
	h->stack_bytes = 8192;
	h->data_size = DATA;
	h->sample = strtoull(argv[2], NULL, 10);
	h->recycle = ALLOCRING_RECYCLE; /* as proftop sets it */
	h->version = ALLOCRING_VERSION;
	h->magic = ALLOCRING_MAGIC;
	snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
	setenv("LD_PRELOAD", argv[1], 1);
	setenv(ALLOCRING_ENV_FD, fdbuf, 1);
	setenv(ALLOCRING_ENV_PRELOAD, "-", 1);
	pid = fork();
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		perror("alloc-sink: exec");
		_exit(127);
	}
	for (;;) {
		uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_RELAXED);
		uint64_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);

		while (tail < head) {
			uint8_t *rec = data + (tail & (DATA - 1));
			uint32_t len = __atomic_load_n((uint32_t *)rec, __ATOMIC_ACQUIRE);

			if (!(len & ALLOCRING_COMMIT))
				break;
			len &= ~ALLOCRING_COMMIT;
			/* a PAD's body was never written (it may be most of
			 * the ring: the producers' recycling) */
			memset(rec, 0, ((struct allocring_rec *)rec)->type == ALLOCRING_PAD ? 8 : len);
			tail += len;
		}
		__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&tick, NULL);
	}
	/* a tracker of another version refuses the ring: then nothing was
	 * measured */
	if (!__atomic_load_n(&h->loaded, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "alloc-sink: the tracker did not run (%s of another version? "
				"make bench/alloc-sink)\n",
			argv[1]);
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
