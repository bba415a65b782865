#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "xalloc.h"

static const char *kind_of(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/* "cannot write PATH: why (fix)" for an errno of creating or renaming. */
static int create_error(const char *path, int e, char *err, size_t errlen)
{
	const char *hint = "";

	if (e == ENOENT)
		hint = " (its directory does not exist)";
	else if (e == EACCES || e == EPERM || e == EROFS)
		hint = "; choose another directory";
	snprintf(err, errlen, "cannot write %s: %s%s", path, strerror(e), hint);
	return -1;
}

int file_out_check(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : create_error(path, errno, err, errlen);
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot write %s: it is a directory; give a file name", path);
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen,
			 "cannot write %s: it is a symbolic link, which proftop does not follow; "
			 "remove it or choose another name",
			 path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
			 "cannot write %s: it is %s, which proftop does not replace; choose "
			 "another name",
			 path, kind_of(st.st_mode));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "cannot write %s: it belongs to another user (uid %u); remove it or "
			 "choose another name",
			 path, (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

char *file_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int file_out_begin(struct file_out *o, const char *path, char *err, size_t errlen)
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned seed = (unsigned)getpid() ^ (unsigned)(uintptr_t)o;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (file_out_check(path, err, errlen) < 0)
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		char suffix[7];
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = seed * 1103515245u + 12345u + (unsigned)ts.tv_nsec;
		for (size_t i = 0; i < sizeof(suffix) - 1; i++) {
			seed = seed * 1103515245u + 12345u;
			suffix[i] = chars[(seed >> 16) % (sizeof(chars) - 1)];
		}
		suffix[6] = '\0';
		free(o->tmp);
		o->tmp = xasprintf("%s.tmp-%s", path, suffix);
		o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     FILE_OUT_MODE);
		if (o->fd >= 0 || errno != EEXIST)
			break;
	}
	if (o->fd < 0) {
		int e = errno;

		free(o->tmp);
		o->tmp = NULL;
		return create_error(path, e, err, errlen);
	}
	/* Whatever the umask: only the caller reads what proftop writes. */
	if (fchmod(o->fd, FILE_OUT_MODE) < 0) {
		int e = errno;

		file_out_abort(o);
		return create_error(path, e, err, errlen);
	}
	o->path = xstrdup(path);
	return 0;
}

FILE *file_out_stream(struct file_out *o)
{
	if (!o->f && o->fd >= 0 && !(o->f = fdopen(o->fd, "w")))
		fatal("out of memory (a stream for %s)", o->path);
	return o->f;
}

static void out_clear(struct file_out *o)
{
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

void file_out_abort(struct file_out *o)
{
	if (!o->tmp) { /* empty (zeroed, committed or aborted): nothing open */
		out_clear(o);
		return;
	}
	if (o->f)
		fclose(o->f);
	else if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	out_clear(o);
}

/* Close what was written to the temporary file; errno of the first failure. */
static int out_close(struct file_out *o)
{
	int e = 0;

	if (o->f) {
		errno = 0;
		if (fflush(o->f) != 0 || ferror(o->f))
			e = errno ? errno : EIO;
	}
	if (!e && o->fd >= 0 && fsync(o->fd) != 0)
		e = errno;
	if (o->f) {
		if (fclose(o->f) != 0 && !e)
			e = errno;
	} else if (o->fd >= 0 && close(o->fd) != 0 && !e) {
		e = errno;
	}
	o->f = NULL;
	o->fd = -1;
	return e;
}

int file_out_commit(struct file_out *o, char *err, size_t errlen)
{
	int e = out_close(o);
	char *dir;

	if (e) {
		create_error(o->path, e, err, errlen);
		file_out_abort(o);
		return -1;
	}
	/* Planted while we wrote? rename(2) would not follow it, but still refuse. */
	if (file_out_check(o->path, err, errlen) < 0) {
		file_out_abort(o);
		return -1;
	}
	if (rename(o->tmp, o->path) < 0) {
		create_error(o->path, errno, err, errlen);
		file_out_abort(o);
		return -1;
	}
	dir = file_dir_of(o->path);
	e = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e >= 0) {
		fsync(e); /* some file systems refuse to sync a directory: the rename happened */
		close(e);
	}
	free(dir);
	out_clear(o);
	return 0;
}

int file_in_open(const char *path, struct stat *st, char *err, size_t errlen)
{
	struct stat s;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (!st)
		st = &s;
	if (fd < 0 || fstat(fd, st) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "cannot open %s: it is %s, not a regular file", path,
			 kind_of(st->st_mode));
		close(fd);
		errno = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int file_read_bounded(int fd, size_t max, char **buf, size_t *len, bool *truncated)
{
	size_t cap = 0, n = 0;
	char *b = NULL;

	*truncated = false;
	for (;;) {
		ssize_t r;

		if (n == max) {
			char c;

			*truncated = read(fd, &c, 1) > 0;
			break;
		}
		if (cap - n < 2) {
			cap = cap ? cap * 2 : 8192;
			if (cap > max + 1)
				cap = max + 1;
			b = xrealloc(b, cap);
		}
		r = read(fd, b + n, (cap - 1 - n) < (max - n) ? cap - 1 - n : max - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(b);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!b)
		b = xmalloc(1);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int file_read_int(const char *path, int dflt)
{
	FILE *f = fopen(path, "r");
	int v = dflt;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}
