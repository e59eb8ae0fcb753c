/* The legacy scp protocol (proto/scp.h) run against the file system over blocking fds: the
 * sink writes what arrives under its target, the source reads and sends files and trees.
 * No RFC; docs/internals/scp.md describes the format and the rules enforced here. */
#include "transfer/scp-fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "proto/scp.h"

/* How much is read from a descriptor or a file at a time. */
#define SCP_FS_CHUNK (256 * 1024)
/* The suffix of a file still arriving; six X for mkstemp. */
#define SCP_FS_PARTIAL ".ferry-partial-XXXXXX"

/* Writes all of p; FERRY_ECLOSED when the reader went away, FERRY_EIO for other errors. */
static int fd_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE ? FERRY_ECLOSED : FERRY_EIO;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads what is there (at least one byte, or 0 at EOF); FERRY_EIO on an error. */
static int fd_read_some(int fd, uint8_t *p, size_t cap, size_t *got)
{
	for (;;) {
		ssize_t r = read(fd, p, cap);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return FERRY_EIO;
		}
		*got = (size_t)r;
		return 0;
	}
}

/* "dir/name" (no doubled slash after "/"); caller frees, NULL when out of memory. */
static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	return str_printf("%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", name);
}

/* The process's umask, read without keeping it changed. */
static mode_t current_umask(void)
{
	mode_t m = umask(022);
	umask(m);
	return m;
}

static void emit_message(scp_fs_message_fn fn, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void emit_message(scp_fs_message_fn fn, void *arg, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text != NULL)
		fn(arg, text);
	free(text);
}

/* A message that came from the peer, escaped before anyone prints it. */
static void emit_peer_message(scp_fs_message_fn fn, void *arg, const char *raw)
{
	if (fn == NULL)
		return;
	char *esc = str_escape_untrusted((const uint8_t *)raw, strlen(raw));
	if (esc != NULL)
		fn(arg, esc);
	free(esc);
}

static void verbose_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void verbose_line(int fd, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text != NULL) {
		char *esc = str_escape_untrusted((const uint8_t *)text, strlen(text));
		if (esc != NULL) {
			(void)fd_write_all(fd, esc, strlen(esc));
			(void)fd_write_all(fd, "\n", 1);
		}
		free(esc);
	}
	free(text);
}

/* --- sink ------------------------------------------------------------------------------- */

struct sink_level {
	char *path;
	bool created;       /* made by us: its mode is set when it is left */
};

struct sink_file {
	int fd;
	char *path;         /* the name the user sees (for messages) */
	char *final;        /* where the finished file goes (path, or what its symlink names) */
	char *tmp;          /* the partial file; NULL when writing in place */
	bool existed;       /* a regular file was already there */
	struct stat old;    /* and its attributes */
	bool write_failed;
};

struct sink_ctx {
	const struct scp_fs_sink_opts *o;
	mode_t mask;
	bool targ_is_dir;
	struct sink_level *levels;
	size_t depth, cap;
	struct sink_file f;
	bool file_open;
	char *msg;          /* the last reply's message */
};

/* Where a FILE or DIR named name at depth goes: under the target when it is a directory,
 * the target itself otherwise (as OpenSSH's sink: `scp f host:newname`). */
static char *sink_item_path(struct sink_ctx *c, unsigned depth, const char *name)
{
	if (depth == 0)
		return c->targ_is_dir ? path_join(c->o->target, name) : strdup(c->o->target);
	if (depth > c->depth)
		return NULL;
	return path_join(c->levels[depth - 1].path, name);
}

/* Sets c->msg to "<path>: <what>" and returns SCP_WARN. */
static enum scp_reply sink_warn(struct sink_ctx *c, const char *path, const char *what)
{
	free(c->msg);
	c->msg = str_printf("%s: %s", path ? path : "?", what);
	emit_message(c->o->message, c->o->message_arg, "%s", c->msg ? c->msg : what);
	return SCP_WARN;
}

static void sink_file_close(struct sink_ctx *c, bool discard)
{
	if (!c->file_open)
		return;
	if (c->f.fd >= 0)
		close(c->f.fd);
	if (discard && c->f.tmp != NULL)
		unlink(c->f.tmp);
	free(c->f.path);
	free(c->f.final);
	free(c->f.tmp);
	memset(&c->f, 0, sizeof(c->f));
	c->f.fd = -1;
	c->file_open = false;
}

/* Where a file written to path really lands: path itself, or, when path is a symlink (even
 * one that names nothing yet), what it names, link after link, as open(2) would follow them.
 * The link itself stays. Returns a new string (caller frees), or NULL with errno set. */
static char *resolve_links(const char *path)
{
	char *p = strdup(path);
	struct stat lst;

	for (int hops = 0; p != NULL; hops++) {
		if (lstat(p, &lst) != 0 || !S_ISLNK(lst.st_mode))
			return p;       /* not there (a new file) or not a link */
		if (hops >= 40) {
			free(p);
			errno = ELOOP;
			return NULL;
		}
		char target[PATH_MAX];
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		if (n < 0) {
			free(p);
			return NULL;
		}
		target[n] = '\0';
		char *next;
		const char *slash = strrchr(p, '/');
		if (target[0] == '/' || slash == NULL)
			next = strdup(target);
		else
			next = str_printf("%.*s%s", (int)(slash - p + 1), p, target);
		free(p);
		p = next;
	}
	errno = ENOMEM;
	return NULL;
}

/* A partial file next to final: "<final>.ferry-partial-XXXXXX", or ".ferry-partial-XXXXXX"
 * in the same directory when the long form would not fit in a name. Returns the fd and the
 * name (caller frees) or -1 with errno set. */
static int sink_make_partial(const char *final, char **tmp_out)
{
	const char *slash = strrchr(final, '/');
	const char *base = slash ? slash + 1 : final;
	char *tmp;
	int fd;

	if (strlen(base) + sizeof(SCP_FS_PARTIAL) - 1 <= NAME_MAX)
		tmp = str_printf("%s" SCP_FS_PARTIAL, final);
	else
		tmp = str_printf("%.*s" SCP_FS_PARTIAL, (int)(base - final), final);
	if (tmp == NULL) {
		errno = ENOMEM;
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		errno = e;
		return -1;
	}
	*tmp_out = tmp;
	return fd;
}

static enum scp_reply sink_open_file(struct sink_ctx *c, const struct scp_sink_req *req)
{
	char *path = sink_item_path(c, req->depth, req->name);
	struct stat st;
	bool in_place = false;
	enum scp_reply r = SCP_OK;
	int fd = -1;

	if (path == NULL)
		return sink_warn(c, req->name, strerror(ENOMEM));
	memset(&c->f, 0, sizeof(c->f));
	c->f.fd = -1;
	c->f.path = path;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			r = sink_warn(c, path, strerror(EISDIR));
			goto out;
		}
		if (S_ISREG(st.st_mode)) {
			/* Writable as it is? The same question OpenSSH's in-place open asks. */
			fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
			if (fd < 0) {
				r = sink_warn(c, path, strerror(errno));
				goto out;
			}
			close(fd);
			fd = -1;
			c->f.existed = true;
			c->f.old = st;
			/* Through a symlink the file it names is replaced, the link stays. */
			c->f.final = resolve_links(path);
			if (c->f.final == NULL) {
				r = sink_warn(c, path, strerror(errno));
				goto out;
			}
		} else {
			/* A device, FIFO or socket (scp f host:/dev/null): written in place. */
			in_place = true;
		}
	} else if (errno == ENOENT) {
		size_t len = strlen(path);
		if (len > 0 && path[len - 1] == '/') {
			/* "newname/": a file cannot be created under that name */
			r = sink_warn(c, path, strerror(EISDIR));
			goto out;
		}
		/* A new file; through a dangling symlink it is created where the link points, as
		 * open(2) with O_CREAT would. */
		c->f.final = resolve_links(path);
		if (c->f.final == NULL) {
			r = sink_warn(c, path, strerror(errno));
			goto out;
		}
	} else {
		r = sink_warn(c, path, strerror(errno));
		goto out;
	}

	if (!in_place) {
		fd = sink_make_partial(c->f.final, &c->f.tmp);
		if (fd < 0 && c->f.existed && (errno == EACCES || errno == EPERM || errno == EROFS)) {
			/* A writable file in a directory we may not add to: only writing in place
			 * can update it, as OpenSSH's sink does. */
			in_place = true;
		} else if (fd < 0) {
			r = sink_warn(c, path, strerror(errno));
			goto out;
		}
	}
	if (in_place) {
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			r = sink_warn(c, path, strerror(errno));
			goto out;
		}
	}
	c->f.fd = fd;
	c->file_open = true;
	return SCP_OK;
out:
	free(c->f.path);
	free(c->f.final);
	free(c->f.tmp);
	memset(&c->f, 0, sizeof(c->f));
	c->f.fd = -1;
	return r;
}

static enum scp_reply sink_write(struct sink_ctx *c, const struct scp_sink_req *req)
{
	const uint8_t *p = req->data;
	size_t n = req->len;

	if (!c->file_open)
		return sink_warn(c, req->name, "no file open");
	while (n > 0) {
		ssize_t w = write(c->f.fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			c->f.write_failed = true;
			return sink_warn(c, c->f.path, strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return SCP_OK;
}

static struct timespec times_ts(int64_t sec, uint32_t usec)
{
	struct timespec ts = { .tv_sec = (time_t)sec, .tv_nsec = (long)usec * 1000 };
	return ts;
}

static enum scp_reply sink_finish_file(struct sink_ctx *c, const struct scp_sink_req *req)
{
	enum scp_reply r = SCP_OK;
	const char *what = NULL;
	int e = 0;

	if (!c->file_open)
		return SCP_OK;
	if (!req->complete) {
		/* Never leave a truncated file where a complete one is expected: the partial
		 * file goes. (A file written in place cannot be taken back.) */
		sink_file_close(c, true);
		return SCP_OK;
	}
	struct stat st;
	bool regular = fstat(c->f.fd, &st) == 0 && S_ISREG(st.st_mode);
	/* In place over a longer regular file: cut it to the new size. */
	if (c->f.tmp == NULL && regular && ftruncate(c->f.fd, (off_t)req->size) != 0) {
		e = errno;
		what = "truncate";
		goto out;
	}
	if (c->f.tmp != NULL) {
		mode_t mode;
		if (c->o->preserve)
			mode = req->mode & SCP_MODE_MASK;
		else if (c->f.existed)
			mode = c->f.old.st_mode & SCP_MODE_MASK;   /* an update keeps its mode */
		else
			mode = req->mode & 0777 & ~c->mask;
		if (c->f.existed && (c->f.old.st_uid != st.st_uid || c->f.old.st_gid != st.st_gid)) {
			/* Keep the owner of the file we replace where we may (as root). */
			if (fchown(c->f.fd, c->f.old.st_uid, c->f.old.st_gid) != 0)
				log_debug2("scp: %s: keeping the owner: %s", c->f.path, strerror(errno));
		}
		if (fchmod(c->f.fd, mode) != 0) {
			e = errno;
			what = "set mode";
			goto out;
		}
	} else if (c->o->preserve && regular && fchmod(c->f.fd, req->mode & SCP_MODE_MASK) != 0) {
		e = errno;
		what = "set mode";
		goto out;
	}
	if (req->has_times && regular) {
		struct timespec ts[2] = { times_ts(req->times.atime, req->times.atime_usec),
					  times_ts(req->times.mtime, req->times.mtime_usec) };
		if (futimens(c->f.fd, ts) != 0) {
			e = errno;
			what = "set times";
			goto out;
		}
	}
	int fd = c->f.fd;
	c->f.fd = -1;
	if (close(fd) != 0) {
		e = errno;
		what = "close";
		goto out;
	}
	if (c->f.tmp != NULL && rename(c->f.tmp, c->f.final) != 0) {
		e = errno;
		what = "rename";
		goto out;
	}
	free(c->f.tmp);
	c->f.tmp = NULL;
out:
	if (what != NULL) {
		char *m = str_printf("%s: %s", what, strerror(e));
		r = sink_warn(c, c->f.path, m ? m : strerror(e));
		free(m);
	}
	sink_file_close(c, true);
	return r;
}

static enum scp_reply sink_enter_dir(struct sink_ctx *c, const struct scp_sink_req *req)
{
	char *path = sink_item_path(c, req->depth, req->name);
	struct stat st;
	bool created = false;
	mode_t mode = c->o->preserve ? (req->mode & SCP_MODE_MASK) : (req->mode & 0777 & ~c->mask);

	if (path == NULL)
		return sink_warn(c, req->name, strerror(ENOMEM));
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			enum scp_reply r = sink_warn(c, path, strerror(ENOTDIR));
			free(path);
			return r;
		}
		if (c->o->preserve && chmod(path, mode) != 0)
			log_debug2("scp: %s: chmod: %s", path, strerror(errno));
	} else {
		/* Made writable for us until it is left; its own mode is set then. */
		if (mkdir(path, mode | S_IRWXU) != 0) {
			enum scp_reply r = sink_warn(c, path, strerror(errno));
			free(path);
			return r;
		}
		created = true;
	}
	if (c->depth == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct sink_level *l = realloc(c->levels, cap * sizeof(*l));
		if (l == NULL) {
			free(path);
			return sink_warn(c, req->name, strerror(ENOMEM));
		}
		c->levels = l;
		c->cap = cap;
	}
	c->levels[c->depth].path = path;
	c->levels[c->depth].created = created;
	c->depth++;
	return SCP_OK;
}

static enum scp_reply sink_leave_dir(struct sink_ctx *c, const struct scp_sink_req *req)
{
	enum scp_reply r = SCP_OK;

	if (c->depth == 0)
		return SCP_OK;
	struct sink_level *l = &c->levels[--c->depth];
	mode_t mode = c->o->preserve ? (req->mode & SCP_MODE_MASK) : (req->mode & 0777 & ~c->mask);
	if (req->has_times) {
		struct timespec ts[2] = { times_ts(req->times.atime, req->times.atime_usec),
					  times_ts(req->times.mtime, req->times.mtime_usec) };
		if (utimensat(AT_FDCWD, l->path, ts, 0) != 0) {
			char *m = str_printf("set times: %s", strerror(errno));
			r = sink_warn(c, l->path, m ? m : "set times");
			free(m);
		}
	}
	if ((l->created || c->o->preserve) && chmod(l->path, mode) != 0 && r == SCP_OK) {
		char *m = str_printf("set mode: %s", strerror(errno));
		r = sink_warn(c, l->path, m ? m : "set mode");
		free(m);
	}
	free(l->path);
	l->path = NULL;
	return r;
}

static void sink_verbose(struct sink_ctx *c, const struct scp_sink_req *req)
{
	int fd = c->o->verbose_fd;
	if (fd < 0)
		return;
	if ((req->type == SCP_SINK_FILE || req->type == SCP_SINK_DIR) && req->has_times)
		verbose_line(fd, "Sink: T%lld %u %lld %u", (long long)req->times.mtime,
			     req->times.mtime_usec, (long long)req->times.atime, req->times.atime_usec);
	if (req->type == SCP_SINK_FILE)
		verbose_line(fd, "Sink: C%04o %llu %s", (unsigned)req->mode,
			     (unsigned long long)req->size, req->name);
	else if (req->type == SCP_SINK_DIR)
		verbose_line(fd, "Sink: D%04o 0 %s", (unsigned)req->mode, req->name);
	else if (req->type == SCP_SINK_DIR_END)
		verbose_line(fd, "Sink: E");
}

static int sink_flush(struct scp_sink *s, int out_fd)
{
	const uint8_t *p;
	size_t n;
	scp_sink_output(s, &p, &n);
	if (n == 0)
		return 0;
	int rc = fd_write_all(out_fd, p, n);
	scp_sink_output_consume(s, n);
	return rc;
}

int scp_fs_sink_run(int in_fd, int out_fd, const struct scp_fs_sink_opts *o)
{
	struct scp_sink_config cfg = {
		.recursive = o->recursive, .patterns = o->patterns, .npatterns = o->npatterns,
	};
	struct sink_ctx c = { .o = o, .f = { .fd = -1 } };
	struct scp_sink *s = NULL;
	uint8_t *in = NULL;
	struct stat st;
	int rc;

	c.mask = current_umask();
	if (stat(o->target, &st) == 0 && S_ISDIR(st.st_mode))
		c.targ_is_dir = true;
	if (o->target_must_be_dir && !c.targ_is_dir) {
		/* -d: the client sends several files; they must land in a directory. Refused
		 * before the sink says it is ready, as OpenSSH's does. */
		int e = stat(o->target, &st) != 0 ? errno : ENOTDIR;
		char *m = str_printf("%s: %s", o->target, strerror(e));
		uint8_t *line = NULL;
		size_t len = 0;
		emit_message(o->message, o->message_arg, "%s", m ? m : "not a directory");
		if (scp_encode_error(SCP_WARN, m ? m : "not a directory", &line, &len) == 0)
			(void)fd_write_all(out_fd, line, len);
		free(line);
		free(m);
		return FERRY_EINVAL;
	}
	in = malloc(SCP_FS_CHUNK);
	if (in == NULL)
		return FERRY_ENOMEM;
	rc = scp_sink_new(&cfg, &s);
	if (rc != 0)
		goto out;

	for (;;) {
		struct scp_sink_req req;
		enum scp_reply r = SCP_OK;

		rc = sink_flush(s, out_fd);
		if (rc != 0) {
			/* The source stopped reading: nothing more can be said to it. */
			goto out;
		}
		rc = scp_sink_next(s, &req);
		if (rc == FERRY_EAGAIN) {
			/* What the last lines queued must reach the source before we wait on it. */
			size_t got = 0;
			rc = sink_flush(s, out_fd);
			if (rc != 0)
				goto out;
			rc = fd_read_some(in_fd, in, SCP_FS_CHUNK, &got);
			if (rc != 0 || got == 0) {
				/* A read error ends the input as EOF would. */
				scp_sink_input_eof(s);
				rc = 0;
			} else if ((rc = scp_sink_input(s, in, got)) != 0) {
				goto out;
			}
			continue;
		}
		if (rc != 0)
			goto out;
		sink_verbose(&c, &req);
		switch (req.type) {
		case SCP_SINK_FILE:
			r = sink_open_file(&c, &req);
			break;
		case SCP_SINK_DATA:
			r = sink_write(&c, &req);
			break;
		case SCP_SINK_FILE_END:
			r = sink_finish_file(&c, &req);
			break;
		case SCP_SINK_DIR:
			r = sink_enter_dir(&c, &req);
			break;
		case SCP_SINK_DIR_END:
			r = sink_leave_dir(&c, &req);
			break;
		case SCP_SINK_MESSAGE:
			emit_peer_message(o->message, o->message_arg, req.text);
			continue;
		case SCP_SINK_DONE:
			(void)sink_flush(s, out_fd);
			if (req.error != 0 && req.text != NULL)
				emit_message(o->message, o->message_arg, "%s", req.text);
			if (req.error != 0)
				log_debug1("scp sink: %s", req.text ? req.text : ferry_strerror(req.error));
			rc = req.error != 0 ? req.error : scp_sink_errors(s) > 0 ? FERRY_EIO : 0;
			goto out;
		default:
			continue;
		}
		rc = scp_sink_reply(s, r, r == SCP_OK ? NULL : c.msg);
		if (rc != 0)
			goto out;
	}
out:
	sink_file_close(&c, true);
	for (size_t i = 0; i < c.depth; i++)
		free(c.levels[i].path);
	free(c.levels);
	free(c.msg);
	scp_sink_free(s);
	free(in);
	return rc;
}

/* --- source ----------------------------------------------------------------------------- */

struct source_ctx {
	const struct scp_fs_source_opts *o;
	struct scp_source *src;
	int in_fd, out_fd;
	uint8_t *buf;       /* file data and answers */
	bool failed;        /* the sink is gone or gave up: stop */
	int fail_rc;
};

static int source_flush(struct source_ctx *c)
{
	const uint8_t *p;
	size_t n;
	scp_source_output(c->src, &p, &n);
	if (n == 0)
		return 0;
	int rc = fd_write_all(c->out_fd, p, n);
	scp_source_output_consume(c->src, n);
	return rc;
}

static int source_fail(struct source_ctx *c, int rc)
{
	if (!c->failed) {
		c->failed = true;
		c->fail_rc = rc;
	}
	return rc;
}

/* Sends what is queued and waits for the sink's answer. A WARN is passed on to the person
 * and returned as it is; a FATAL or a lost sink fails the run. */
static int source_await(struct source_ctx *c, struct scp_source_event *ev)
{
	uint8_t ans[512];

	for (;;) {
		int rc = source_flush(c);
		if (rc != 0)
			return source_fail(c, rc);
		rc = scp_source_poll(c->src, ev);
		if (rc == 0)
			break;
		if (rc != FERRY_EAGAIN) {
			emit_message(c->o->message, c->o->message_arg, "lost connection");
			return source_fail(c, rc);
		}
		/* The poll may have queued a line (a C after its T was accepted). */
		rc = source_flush(c);
		if (rc != 0)
			return source_fail(c, rc);
		size_t got = 0;
		rc = fd_read_some(c->in_fd, ans, sizeof(ans), &got);
		if (rc != 0 || got == 0)
			scp_source_input_eof(c->src);
		else if ((rc = scp_source_input(c->src, ans, got)) != 0)
			return source_fail(c, rc);
	}
	if (ev->reply != SCP_OK)
		emit_peer_message(c->o->message, c->o->message_arg, ev->text);
	if (ev->reply == SCP_FATAL)
		return source_fail(c, FERRY_ECANCELED);
	return 0;
}

/* Tells the sink (and the person) about an item that is not sent. */
static int source_warn(struct source_ctx *c, const char *path, const char *what)
{
	char *m = str_printf("%s: %s", path, what);
	emit_message(c->o->message, c->o->message_arg, "%s", m ? m : what);
	int rc = scp_source_warn(c->src, m ? m : what);
	free(m);
	if (rc == 0)
		rc = source_flush(c);
	return rc != 0 ? source_fail(c, rc) : 0;
}

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

static int source_path(struct source_ctx *c, const char *path);

static int source_file(struct source_ctx *c, int fd, const char *path, const struct stat *st)
{
	struct scp_times t = {
		.mtime = st->st_mtim.tv_sec, .atime = st->st_atim.tv_sec,
	};
	struct scp_source_event ev;
	const char *name = last_component(path);
	uint64_t size = (uint64_t)st->st_size;
	int read_err = 0;
	bool shrank = false;
	int rc;

	rc = scp_source_file(c->src, name, (uint32_t)st->st_mode, size, &t);
	if (rc == FERRY_EINVAL)
		return source_warn(c, path, "cannot send this name");
	if (rc != 0)
		return source_fail(c, rc);
	if (c->o->verbose_fd >= 0 && c->o->preserve)
		verbose_line(c->o->verbose_fd, "Sending file timestamps: T%lld 0 %lld 0",
			     (long long)(t.mtime < 0 ? 0 : t.mtime), (long long)(t.atime < 0 ? 0 : t.atime));
	if (c->o->verbose_fd >= 0)
		verbose_line(c->o->verbose_fd, "Sending file modes: C%04o %llu %s",
			     (unsigned)(st->st_mode & SCP_MODE_MASK), (unsigned long long)size, name);
	rc = source_await(c, &ev);
	if (rc != 0 || ev.reply != SCP_OK)
		return rc;      /* refused: skipped */

	/* Exactly size bytes follow, whatever happens to the file meanwhile: a read error or a
	 * file that shrank is padded with zeros and reported after the data, so the sink
	 * discards it. */
	uint64_t left = size;
	while (left > 0) {
		size_t want = left < SCP_FS_CHUNK ? (size_t)left : SCP_FS_CHUNK;
		size_t got = 0;
		if (read_err == 0 && !shrank) {
			ssize_t r = read(fd, c->buf, want);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				read_err = errno;
			else if (r == 0)
				shrank = true;
			else
				got = (size_t)r;
		}
		if (got == 0) {
			memset(c->buf, 0, want);
			got = want;
		}
		rc = scp_source_data(c->src, c->buf, got);
		if (rc == 0)
			rc = source_flush(c);
		if (rc != 0)
			return source_fail(c, rc);
		left -= got;
	}
	char *err = NULL;
	if (read_err != 0)
		err = str_printf("%s: %s", path, strerror(read_err));
	else if (shrank)
		err = str_printf("%s: file shrank while it was sent", path);
	if (err != NULL)
		emit_message(c->o->message, c->o->message_arg, "%s", err);
	rc = scp_source_file_end(c->src, err != NULL ? err : (read_err || shrank) ? "read error" : NULL);
	free(err);
	if (rc != 0)
		return source_fail(c, rc);
	return source_await(c, &ev);
}

static int source_dir(struct source_ctx *c, const char *path, const struct stat *st)
{
	struct scp_times t = {
		.mtime = st->st_mtim.tv_sec, .atime = st->st_atim.tv_sec,
	};
	struct scp_source_event ev;
	const char *name = last_component(path);
	DIR *d = opendir(path);
	int rc;

	if (d == NULL)
		return source_warn(c, path, strerror(errno));
	rc = scp_source_dir(c->src, name, (uint32_t)st->st_mode, &t);
	if (rc == FERRY_EINVAL) {
		rc = source_warn(c, path, "cannot send this name");
		goto out;
	}
	if (rc != 0) {
		rc = source_fail(c, rc);
		goto out;
	}
	if (c->o->verbose_fd >= 0)
		verbose_line(c->o->verbose_fd, "Entering directory: D%04o 0 %s",
			     (unsigned)(st->st_mode & SCP_MODE_MASK), name);
	rc = source_await(c, &ev);
	if (rc != 0 || ev.reply != SCP_OK)
		goto out;       /* refused: not entered */
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = source_warn(c, path, strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *child = path_join(path, de->d_name);
		if (child == NULL) {
			rc = source_warn(c, path, strerror(ENOMEM));
			break;
		}
		rc = source_path(c, child);
		free(child);
		if (rc != 0 || c->failed)
			break;
	}
	if (!c->failed) {
		rc = scp_source_dir_end(c->src);
		if (rc != 0)
			rc = source_fail(c, rc);
		else
			rc = source_await(c, &ev);
	}
out:
	closedir(d);
	return c->failed ? c->fail_rc : rc;
}

/* One path: a regular file, or with -r a directory; symlinks are followed (as OpenSSH's scp
 * follows them; a loop ends in ELOOP from the kernel). */
static int source_path(struct source_ctx *c, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	int rc;

	if (fd < 0)
		return source_warn(c, path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = source_warn(c, path, strerror(errno));
		close(fd);
		return rc;
	}
	if (S_ISDIR(st.st_mode) && c->o->recursive) {
		close(fd);
		return source_dir(c, path, &st);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return source_warn(c, path, "not a regular file");
	}
	/* Regular files never block; reads should simply wait for the disk. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	rc = source_file(c, fd, path, &st);
	close(fd);
	return rc;
}

int scp_fs_source_run(int in_fd, int out_fd, char *const *paths, size_t npaths,
		      const struct scp_fs_source_opts *o)
{
	struct scp_source_config cfg = { .preserve = o->preserve };
	struct source_ctx c = { .o = o, .in_fd = in_fd, .out_fd = out_fd };
	struct scp_source_event ev;
	int rc;

	c.buf = malloc(SCP_FS_CHUNK);
	if (c.buf == NULL)
		return FERRY_ENOMEM;
	rc = scp_source_new(&cfg, &c.src);
	if (rc != 0)
		goto out;
	/* The sink speaks first. */
	rc = source_await(&c, &ev);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < npaths && !c.failed; i++) {
		/* "dir/" names dir: trailing slashes go, as OpenSSH's source drops them */
		char *p = strdup(paths[i]);
		if (p == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
			p[n - 1] = '\0';
		(void)source_path(&c, p);
		free(p);
	}
	if (c.failed)
		rc = c.fail_rc;
	else
		rc = scp_source_errors(c.src) > 0 ? FERRY_EIO : 0;
out:
	scp_source_free(c.src);
	free(c.buf);
	return rc;
}
