/* The SFTP server's executor: file-system work for each request of draft-ietf-secsh-filexfer-02
 * (version 3), OpenSSH's extensions (PROTOCOL §4) and check-file (filexfer-extensions §3),
 * with read-only mode, request lists, a start directory and an openat2(2) jail. */
#include "transfer/sftp-fs.h"

#include "common/log.h"
#include "common/text.h"
#include "crypto/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Entries per READDIR reply: 100 names of at most NAME_MAX bytes with their long names stay
 * far below the 256 KiB packets OpenSSH's client takes. */
#define READDIR_BATCH 100
/* Scratch buffer for copy-data and check-file. */
#define IOBUF_SIZE (256u * 1024)
/* A reply whose size follows from the request (check-file hashes) stays within what OpenSSH's
 * client accepts, with room for the header. */
#define REPLY_BUDGET (SFTP_OPENSSH_MAX_PACKET - 1024)
/* Not an errno: a path that would lead out of the jail (openat2 said EXDEV). */
#define E_JAIL_ESCAPE 100000
/* Six months, for the date column of long names (as ls -l). */
#define SIX_MONTHS (183L * 24 * 3600)
#define NAME_CACHE 16

enum handle_kind { HANDLE_FREE = 0, HANDLE_FILE = 1, HANDLE_DIR = 2 };

struct fs_handle {
	enum handle_kind kind;
	uint32_t gen;
	int fd;                  /* HANDLE_FILE */
	DIR *dir;                /* HANDLE_DIR */
	int oflags;
	bool is_root;            /* jail: this directory is the jail's root */
	char *path;              /* as the client named it, for logs */
	uint64_t bytes_read, bytes_written;
};

struct id_name {
	bool used;
	uint32_t id;
	char *name;
};

struct sftp_fs {
	bool read_only;
	bool jail;
	char *allowed, *denied;
	unsigned max_handles;
	int root_fd;             /* jail: the root, O_PATH */
	char *root_real;         /* jail: its absolute path as the kernel names it */
	dev_t root_dev;
	ino_t root_ino;
	int cwd_fd;              /* no jail: the start directory, base of relative paths */
	char *cwd;               /* absolute start directory (jail: as the client sees it) */
	char *user, *home, *peer;
	struct fs_handle *handles;
	unsigned n_slots, n_open;
	uint32_t next_gen;
	uint8_t *iobuf;
	struct id_name users[NAME_CACHE], groups[NAME_CACHE];
	unsigned users_next, groups_next;
};

/* --- small helpers ---------------------------------------------------------------------- */

/* An escaped copy of a client-supplied string for the log (caller frees; never NULL). */
static char *esc(const char *s)
{
	char *e = str_escape_untrusted((const uint8_t *)s, strlen(s));
	return e ? e : strdup("?");
}

static char *bytes_dup(const struct sftp_bytes *b)
{
	char *s = malloc(b->n + 1);
	if (s == NULL)
		return NULL;
	if (b->n)
		memcpy(s, b->p, b->n);
	s[b->n] = '\0';
	return s;
}

/* dir + "/" + name, without doubling the slash after "/". Caller frees; NULL on ENOMEM. */
static char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	bool slash = dl > 0 && dir[dl - 1] == '/';
	return str_printf("%s%s%s", dir, slash ? "" : "/", name);
}

static bool is_dot_name(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* filexfer-02 §7 codes for errno values, as OpenSSH's sftp-server maps them. */
static uint32_t status_of_errno(int e)
{
	switch (e) {
	case 0:
		return SSH_FX_OK;
	case ENOENT:
	case ENOTDIR:
	case EBADF:
	case ELOOP:
		return SSH_FX_NO_SUCH_FILE;
	case EPERM:
	case EACCES:
	case EFAULT:
	case E_JAIL_ESCAPE:
		return SSH_FX_PERMISSION_DENIED;
	case ENAMETOOLONG:
	case EINVAL:
		return SSH_FX_BAD_MESSAGE;
	case ENOSYS:
		return SSH_FX_OP_UNSUPPORTED;
	default:
		return SSH_FX_FAILURE;
	}
}

static int reply_errno(struct sftp_server *srv, uint32_t id, int e)
{
	const char *msg = e == E_JAIL_ESCAPE ? "path leads outside the jail" : strerror(e);
	return sftp_server_send_status(srv, id, status_of_errno(e), msg);
}

static int reply_ok(struct sftp_server *srv, uint32_t id)
{
	return sftp_server_send_status(srv, id, SSH_FX_OK, NULL);
}

/* A NAME reply with one entry whose filename and longname are both s and no attributes, as
 * REALPATH, READLINK and the path extensions answer. */
static int reply_one_name(struct sftp_server *srv, uint32_t id, const char *s)
{
	struct sftp_name_entry e;
	memset(&e, 0, sizeof(e));
	e.name.p = (const uint8_t *)s;
	e.name.n = strlen(s);
	e.longname = e.name;
	return sftp_server_send_name(srv, id, &e, 1);
}

static void attrs_from_stat(const struct stat *st, struct sftp_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID | SSH_FILEXFER_ATTR_PERMISSIONS |
		   SSH_FILEXFER_ATTR_ACMODTIME;
	a->size = (uint64_t)st->st_size;
	a->uid = (uint32_t)st->st_uid;
	a->gid = (uint32_t)st->st_gid;
	a->perm = (uint32_t)st->st_mode;
	/* filexfer-02 §5: times are uint32 seconds since the epoch. */
	a->atime = (uint32_t)st->st_atime;
	a->mtime = (uint32_t)st->st_mtime;
}

/* A user or group name from a small cache; "" when the id has none. Borrowed from fs. */
static const char *id_name(struct sftp_fs *fs, bool group, uint32_t id)
{
	struct id_name *cache = group ? fs->groups : fs->users;
	unsigned *next = group ? &fs->groups_next : &fs->users_next;
	const char *found = NULL;

	for (unsigned i = 0; i < NAME_CACHE; i++)
		if (cache[i].used && cache[i].id == id)
			return cache[i].name;
	if (group) {
		struct group *gr = getgrgid((gid_t)id);
		found = gr ? gr->gr_name : NULL;
	} else {
		struct passwd *pw = getpwuid((uid_t)id);
		found = pw ? pw->pw_name : NULL;
	}
	char *copy = strdup(found ? found : "");
	if (copy == NULL)
		return "";
	struct id_name *slot = &cache[*next];
	*next = (*next + 1) % NAME_CACHE;
	free(slot->name);
	slot->used = true;
	slot->id = id;
	slot->name = copy;
	return copy;
}

/* --- paths and the jail ----------------------------------------------------------------- */

/* openat2(2) beneath the jail's root: RESOLVE_BENEATH refuses "..", absolute paths and
 * symlinks that leave it (EXDEV); RESOLVE_NO_MAGICLINKS refuses /proc magic links. Returns
 * the fd or -1 with errno set. */
static int jail_openat2(int root_fd, const char *path, int flags, mode_t mode)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.mode = (flags & O_CREAT) ? (uint64_t)(mode & 07777) : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	/* openat2 may say EAGAIN when a rename raced with a ".." step; try again a few times. */
	for (int tries = 0;; tries++) {
		fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN || tries >= 8)
			break;
	}
	return (int)fd;
}

/* The path given to the kernel for a client path. Jail: relative to the root (the start
 * directory joined in front of a relative path, leading slashes dropped, "." for the root;
 * "" stays "" so it fails as it does outside). No jail: the client's path as is (relative
 * paths go against cwd_fd). Caller frees; NULL on ENOMEM. */
static char *fs_syspath(const struct sftp_fs *fs, const struct sftp_bytes *b)
{
	char *raw = bytes_dup(b), *joined, *p;
	if (raw == NULL || !fs->jail || raw[0] == '\0')
		return raw;
	joined = raw[0] == '/' ? raw : path_join(fs->cwd, raw);
	if (joined != raw)
		free(raw);
	if (joined == NULL)
		return NULL;
	for (p = joined; *p == '/'; p++)
		;
	if (*p == '\0')
		p = ".";
	char *out = strdup(p);
	free(joined);
	return out;
}

/* Opens syspath with flags (O_CLOEXEC added): beneath the jail, or against the start
 * directory. Returns 0 with *fd, or an errno value (E_JAIL_ESCAPE for a way out). */
static int fs_open(const struct sftp_fs *fs, const char *syspath, int flags, mode_t mode, int *fd)
{
	int f;
	if (fs->jail) {
		f = jail_openat2(fs->root_fd, syspath, flags, mode);
		if (f < 0 && errno == EXDEV) {
			log_info("refused a path leading out of the jail");
			return E_JAIL_ESCAPE;
		}
	} else {
		f = openat(fs->cwd_fd, syspath, flags | O_CLOEXEC, mode);
	}
	if (f < 0)
		return errno ? errno : EIO;
	*fd = f;
	return 0;
}

/* The inode a path names, for reading and changing its attributes. In a jail it is an O_PATH
 * fd (the path resolved beneath the root once, so nothing can swap a symlink in between) used
 * with AT_EMPTY_PATH; outside, the path itself against the start directory. */
struct node {
	int dirfd;
	const char *name;
	int at_flags;            /* AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW or 0 */
	int fd;                  /* owned O_PATH fd, or -1 */
	bool follow;
	char proc[48];           /* jail: /proc/self/fd/N for the calls without AT_EMPTY_PATH */
};

static int node_get(const struct sftp_fs *fs, const char *syspath, bool follow, struct node *n)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->follow = follow;
	if (!fs->jail) {
		n->dirfd = fs->cwd_fd;
		n->name = syspath;
		n->at_flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;
		return 0;
	}
	int fd;
	int e = fs_open(fs, syspath, O_PATH | (follow ? 0 : O_NOFOLLOW), 0, &fd);
	if (e != 0)
		return e;
	n->fd = fd;
	n->dirfd = fd;
	n->name = "";
	n->at_flags = AT_EMPTY_PATH;
	snprintf(n->proc, sizeof(n->proc), "/proc/self/fd/%d", fd);
	return 0;
}

static void node_put(struct node *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

static int node_stat(const struct node *n, struct stat *st)
{
	return fstatat(n->dirfd, n->name, st, n->at_flags) == 0 ? 0 : errno;
}

static int node_chmod(const struct node *n, mode_t mode)
{
	struct stat st;
	if (n->fd < 0)
		return fchmodat(n->dirfd, n->name, mode, n->at_flags) == 0 ? 0 : errno;
	/* Linux has no mode on symlinks, and fchmodat takes no AT_EMPTY_PATH before 6.6: go
	 * through the fd's /proc entry, which names exactly the inode resolved beneath the jail. */
	if (fstat(n->fd, &st) != 0)
		return errno;
	if (S_ISLNK(st.st_mode))
		return EOPNOTSUPP;
	return chmod(n->proc, mode) == 0 ? 0 : errno;
}

static int node_chown(const struct node *n, uid_t uid, gid_t gid)
{
	return fchownat(n->dirfd, n->name, uid, gid, n->at_flags) == 0 ? 0 : errno;
}

static int node_utimes(const struct node *n, const struct timespec ts[2])
{
	if (utimensat(n->dirfd, n->name, ts, n->at_flags) == 0)
		return 0;
	int e = errno;
	struct stat st;
	/* A kernel whose utimensat lacks AT_EMPTY_PATH: the /proc route works for anything but a
	 * symlink. */
	if (e == EINVAL && n->fd >= 0 && fstat(n->fd, &st) == 0 && !S_ISLNK(st.st_mode))
		return utimensat(AT_FDCWD, n->proc, ts, 0) == 0 ? 0 : errno;
	return e;
}

/* A directory entry a request creates, removes or renames: the parent directory (resolved
 * beneath the jail) and the last name. Outside a jail: the start directory and the path. */
struct entry {
	int dirfd;
	char *name;              /* owned */
	int fd;                  /* owned parent fd, or -1 */
	bool special;            /* jail: ".", ".." or the root itself: nothing to make or remove */
};

static int entry_get(const struct sftp_fs *fs, const char *syspath, struct entry *e)
{
	char *copy, *slash, *name;
	const char *parent;
	int fd, err;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (!fs->jail) {
		e->dirfd = fs->cwd_fd;
		e->name = strdup(syspath);
		return e->name ? 0 : ENOMEM;
	}
	if (syspath[0] == '\0')
		return ENOENT;
	copy = strdup(syspath);
	if (copy == NULL)
		return ENOMEM;
	/* "dir/" names dir. */
	for (size_t len = strlen(copy); len > 1 && copy[len - 1] == '/'; len--)
		copy[len - 1] = '\0';
	slash = strrchr(copy, '/');
	if (slash != NULL) {
		*slash = '\0';
		parent = copy[0] ? copy : ".";
		name = slash + 1;
	} else {
		parent = ".";
		name = copy;
	}
	e->name = strdup(name);
	if (e->name == NULL) {
		free(copy);
		return ENOMEM;
	}
	if (is_dot_name(e->name)) {
		e->special = true;
		e->dirfd = AT_FDCWD;
		free(copy);
		return 0;
	}
	err = fs_open(fs, parent, O_PATH | O_DIRECTORY, 0, &fd);
	free(copy);
	if (err != 0) {
		free(e->name);
		e->name = NULL;
		return err;
	}
	e->fd = fd;
	e->dirfd = fd;
	return 0;
}

static void entry_put(struct entry *e)
{
	if (e->fd >= 0)
		close(e->fd);
	free(e->name);
	e->fd = -1;
	e->name = NULL;
}

/* The jail's virtual name of an open fd: its path as the kernel knows it, with the root's
 * path taken off the front. Caller frees *out. */
static int jail_name_of_fd(const struct sftp_fs *fs, int fd, char **out)
{
	char proc[48], real[PATH_MAX + 1];
	ssize_t n;
	size_t rl = strlen(fs->root_real);
	const char *rest;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, real, sizeof(real) - 1);
	if (n < 0)
		return errno;
	real[n] = '\0';
	if (strcmp(fs->root_real, "/") == 0)
		rest = real;
	else if (strncmp(real, fs->root_real, rl) == 0 && (real[rl] == '\0' || real[rl] == '/'))
		rest = real + rl;
	else
		return E_JAIL_ESCAPE;
	*out = strdup(rest[0] ? rest : "/");
	return *out ? 0 : ENOMEM;
}

/* "/a/./b/../c" -> "/a/c" without looking at the disk; ".." at the root stays at the root,
 * as in a chroot. abs starts with '/'. Caller frees; NULL on ENOMEM. */
static char *lexical_clean(const char *abs)
{
	size_t n = strlen(abs);
	char *out = malloc(n + 2), *copy = strdup(abs), *save = NULL;
	size_t len = 0;
	if (out == NULL || copy == NULL) {
		free(out);
		free(copy);
		return NULL;
	}
	for (char *c = strtok_r(copy, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (len > 0 && out[len] != '/')
				len--;
			continue;
		}
		out[len++] = '/';
		memcpy(out + len, c, strlen(c));
		len += strlen(c);
		out[len] = '\0';
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	free(copy);
	return out;
}

/* REALPATH in the jail. A ".." that would climb out of the root is taken lexically (it stays
 * at the root, so "cd .." at "/" is "/"); symlinks leading out are still refused. */
static int jail_realpath(const struct sftp_fs *fs, const char *clientpath, bool must_exist,
			 bool cleaned, char **out)
{
	struct sftp_bytes b = { (const uint8_t *)clientpath, strlen(clientpath) };
	char *sys = fs_syspath(fs, &b), *res = NULL, *dir = NULL;
	struct entry ent;
	int e, fd = -1;

	if (sys == NULL)
		return ENOMEM;
	e = fs_open(fs, sys, O_PATH, 0, &fd);
	if (e == 0) {
		e = jail_name_of_fd(fs, fd, &res);
		close(fd);
	} else if (e == ENOENT && !must_exist && (e = entry_get(fs, sys, &ent)) == 0) {
		/* Only the last component may be missing. */
		if (ent.special)
			e = ENOENT;
		else if ((e = jail_name_of_fd(fs, ent.fd, &dir)) == 0 &&
			 (res = path_join(dir, ent.name)) == NULL)
			e = ENOMEM;
		entry_put(&ent);
	}
	free(sys);
	free(dir);
	if (e == E_JAIL_ESCAPE && !cleaned) {
		char *abs = clientpath[0] == '/' ? strdup(clientpath) : path_join(fs->cwd, clientpath);
		char *clean = abs ? lexical_clean(abs) : NULL;
		if (clean == NULL)
			e = ENOMEM;
		else if (strcmp(clean, abs) != 0)
			e = jail_realpath(fs, clean, must_exist, true, &res);
		free(abs);
		free(clean);
	}
	if (e == 0)
		*out = res;
	else
		free(res);
	return e;
}

/* REALPATH outside a jail, after realpath(3); the last component may be missing unless
 * must_exist. */
static int host_realpath(const struct sftp_fs *fs, const char *clientpath, bool must_exist,
			 char **out)
{
	char *res = NULL, *dir = NULL, *abs = NULL;
	int e = 0;

	abs = clientpath[0] == '/' ? strdup(clientpath) : path_join(fs->cwd, clientpath);
	if (abs == NULL)
		return ENOMEM;
	res = realpath(abs, NULL);
	if (res != NULL)
		goto out;
	e = errno;
	if (e != ENOENT || must_exist)
		goto out;
	char *slash = strrchr(abs, '/');
	const char *base = slash + 1;
	if (slash == NULL || is_dot_name(base) || base[0] == '\0')
		goto out;
	*slash = '\0';
	dir = realpath(abs[0] ? abs : "/", NULL);
	if (dir == NULL) {
		e = errno;
		goto out;
	}
	res = path_join(dir, base);
	e = res ? 0 : ENOMEM;
out:
	free(abs);
	free(dir);
	if (e == 0)
		*out = res;
	else
		free(res);
	return e;
}

/* REALPATH: the canonical absolute form of a path, with symlinks resolved. As OpenSSH's
 * sftp-server walks it: the last component may be missing (a name about to be created), but
 * not when a slash follows it ("missing/" fails), and "file/" is taken as "file". */
static int fs_realpath(const struct sftp_fs *fs, const char *clientpath, char **out)
{
	char *path = strdup(clientpath);
	size_t len = strlen(clientpath);
	bool must_exist = false;
	int e;

	if (path == NULL)
		return ENOMEM;
	for (; len > 1 && path[len - 1] == '/'; len--) {
		path[len - 1] = '\0';
		must_exist = true;
	}
	if (fs->jail)
		e = jail_realpath(fs, path, must_exist, false, out);
	else
		e = host_realpath(fs, path, must_exist, out);
	free(path);
	return e;
}

/* --- handles ---------------------------------------------------------------------------- */

/* A handle on the wire is 8 bytes: the slot index and a generation, so a closed handle's
 * string never reaches the file that takes its slot next. */
static void handle_encode(uint32_t idx, uint32_t gen, uint8_t out[8])
{
	poke_u32(out, idx);
	poke_u32(out + 4, gen);
}

static struct fs_handle *handle_find(struct sftp_fs *fs, const struct sftp_bytes *h, int kinds,
				     uint32_t *idx_out)
{
	if (h->n != 8)
		return NULL;
	uint32_t idx = peek_u32(h->p), gen = peek_u32(h->p + 4);
	if (idx >= fs->n_slots)
		return NULL;
	struct fs_handle *hd = &fs->handles[idx];
	if (hd->kind == HANDLE_FREE || hd->gen != gen || !(hd->kind & kinds))
		return NULL;
	if (idx_out)
		*idx_out = idx;
	return hd;
}

/* Takes a free slot for an open fd or DIR (ownership passes to the table on success). */
static int handle_add(struct sftp_fs *fs, enum handle_kind kind, int fd, DIR *dir,
		      const char *path, int oflags, uint8_t out[8])
{
	unsigned idx;
	for (idx = 0; idx < fs->n_slots; idx++)
		if (fs->handles[idx].kind == HANDLE_FREE)
			break;
	if (idx == fs->n_slots) {
		unsigned grow = fs->n_slots ? fs->n_slots * 2 : 16;
		if (grow > fs->max_handles)
			grow = fs->max_handles;
		if (grow <= fs->n_slots)
			return FERRY_EFULL;
		struct fs_handle *h = realloc(fs->handles, grow * sizeof(*h));
		if (h == NULL)
			return FERRY_ENOMEM;
		memset(h + fs->n_slots, 0, (grow - fs->n_slots) * sizeof(*h));
		fs->handles = h;
		fs->n_slots = grow;
	}
	char *p = strdup(path);
	if (p == NULL)
		return FERRY_ENOMEM;
	struct fs_handle *hd = &fs->handles[idx];
	memset(hd, 0, sizeof(*hd));
	hd->kind = kind;
	hd->gen = ++fs->next_gen;
	hd->fd = fd;
	hd->dir = dir;
	hd->oflags = oflags;
	hd->path = p;
	fs->n_open++;
	handle_encode(idx, hd->gen, out);
	return 0;
}

/* Closes the handle's fd or DIR and frees the slot. Returns 0 or the errno of close. */
static int handle_release(struct sftp_fs *fs, struct fs_handle *hd)
{
	int e = 0;
	if (hd->kind == HANDLE_FILE && close(hd->fd) != 0)
		e = errno;
	if (hd->kind == HANDLE_DIR && closedir(hd->dir) != 0)
		e = errno;
	free(hd->path);
	uint32_t gen = hd->gen;
	memset(hd, 0, sizeof(*hd));
	hd->gen = gen;
	fs->n_open--;
	return e;
}

static int handle_fd(const struct fs_handle *hd)
{
	return hd->kind == HANDLE_DIR ? dirfd(hd->dir) : hd->fd;
}

static int reply_bad_handle(struct sftp_server *srv, uint32_t id)
{
	/* OpenSSH's sftp-server answers an unknown handle with SSH_FX_FAILURE. */
	return sftp_server_send_status(srv, id, SSH_FX_FAILURE, "invalid handle");
}

static bool handles_full(const struct sftp_fs *fs)
{
	return fs->n_open >= fs->max_handles;
}

static int reply_handles_full(const struct sftp_fs *fs, struct sftp_server *srv, uint32_t id)
{
	log_verbose("refusing a new handle: %u already open", fs->n_open);
	return sftp_server_send_status(srv, id, SSH_FX_FAILURE, "too many open files");
}

/* --- requests --------------------------------------------------------------------------- */

typedef int (*op_fn)(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r);

static void pflags_string(uint32_t pf, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s%s%s%s", (pf & SSH_FXF_READ) ? "READ," : "",
		 (pf & SSH_FXF_WRITE) ? "WRITE," : "", (pf & SSH_FXF_APPEND) ? "APPEND," : "",
		 (pf & SSH_FXF_CREAT) ? "CREATE," : "", (pf & SSH_FXF_TRUNC) ? "TRUNCATE," : "",
		 (pf & SSH_FXF_EXCL) ? "EXCL," : "");
	size_t len = strlen(out);
	if (len > 0)
		out[len - 1] = '\0';
}

/* filexfer-02 §6.3 */
static int op_open(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	uint32_t pf = r->pflags;
	int flags, fd = -1, e, rc;
	mode_t mode;
	char *sys = NULL;
	uint8_t h[8];

	/* -R: nothing may be created, truncated or written. */
	if (fs->read_only && (pf & (SSH_FXF_WRITE | SSH_FXF_APPEND | SSH_FXF_CREAT | SSH_FXF_TRUNC))) {
		log_verbose("refusing open for writing in read-only mode");
		return sftp_server_send_status(srv, r->id, SSH_FX_PERMISSION_DENIED, NULL);
	}
	if (handles_full(fs))
		return reply_handles_full(fs, srv, r->id);
	if ((pf & SSH_FXF_READ) && (pf & SSH_FXF_WRITE))
		flags = O_RDWR;
	else if (pf & SSH_FXF_WRITE)
		flags = O_WRONLY;
	else
		flags = O_RDONLY;
	if (pf & SSH_FXF_APPEND)
		flags |= O_APPEND;
	if (pf & SSH_FXF_CREAT)
		flags |= O_CREAT;
	if (pf & SSH_FXF_TRUNC)
		flags |= O_TRUNC;
	if (pf & SSH_FXF_EXCL)
		flags |= O_EXCL;
	mode = (r->attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (mode_t)(r->attrs.perm & 07777) : 0666;
	if ((sys = fs_syspath(fs, &r->path)) == NULL)
		return FERRY_ENOMEM;
	if (flog_enabled(FLOG_INFO)) {
		char fl[64], *p = esc(sys);
		pflags_string(pf, fl, sizeof(fl));
		log_info("open \"%s\" flags %s mode 0%o", p, fl, (unsigned)mode);
		free(p);
	}
	/* O_NONBLOCK keeps a FIFO from stalling the session in open(); it is cleared after. */
	e = fs_open(fs, sys, flags | O_NOCTTY | O_NONBLOCK, mode, &fd);
	if (e != 0) {
		rc = reply_errno(srv, r->id, e);
		goto out;
	}
	(void)fcntl(fd, F_SETFL, flags & O_APPEND);
	rc = handle_add(fs, HANDLE_FILE, fd, NULL, sys, flags, h);
	if (rc == FERRY_EFULL) {
		close(fd);
		rc = reply_handles_full(fs, srv, r->id);
		goto out;
	}
	if (rc != 0) {
		close(fd);
		goto out;
	}
	rc = sftp_server_send_handle(srv, r->id, h, sizeof(h));
out:
	free(sys);
	return rc;
}

static int op_close(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_FILE | HANDLE_DIR, NULL);
	/* OpenSSH's sftp-server answers CLOSE of an unknown handle with NO_SUCH_FILE. */
	if (hd == NULL)
		return reply_errno(srv, r->id, ENOENT);
	if (flog_enabled(FLOG_INFO)) {
		char *p = esc(hd->path);
		if (hd->kind == HANDLE_DIR)
			log_info("closedir \"%s\"", p);
		else
			log_info("close \"%s\" bytes read %llu written %llu", p,
				 (unsigned long long)hd->bytes_read, (unsigned long long)hd->bytes_written);
		free(p);
	}
	int e = handle_release(fs, hd);
	return e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
}

/* filexfer-02 §6.4: at most the length asked, less at the end of the file; EOF past it. */
static int op_read(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_FILE, NULL);
	uint8_t *p;
	ssize_t n;
	int rc;

	if (hd == NULL)
		return reply_bad_handle(srv, r->id);
	if (r->offset > (uint64_t)INT64_MAX)
		return sftp_server_send_status(srv, r->id, SSH_FX_EOF, NULL);
	size_t len = r->length > SFTP_MAX_RW ? SFTP_MAX_RW : (size_t)r->length;
	/* A zero-length READ gets an empty DATA, as from OpenSSH's server. */
	if (len == 0)
		return sftp_server_send_data(srv, r->id, "", 0);
	if ((rc = sftp_server_data_begin(srv, r->id, len, &p)) != 0)
		return rc;
	do
		n = pread(hd->fd, p, len, (off_t)r->offset);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		int e = n < 0 ? errno : 0;
		sftp_server_data_cancel(srv);
		if (n == 0)
			return sftp_server_send_status(srv, r->id, SSH_FX_EOF, NULL);
		return reply_errno(srv, r->id, e);
	}
	sftp_server_data_end(srv, (size_t)n);
	hd->bytes_read += (uint64_t)n;
	return 0;
}

/* Writes all n bytes at off (pwrite may write less). Returns 0 or errno. */
static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int op_write(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_FILE, NULL);
	if (hd == NULL)
		return reply_bad_handle(srv, r->id);
	if (r->offset > (uint64_t)INT64_MAX - r->data.n)
		return reply_errno(srv, r->id, EFBIG);
	/* A handle opened with APPEND writes at the end whatever the offset (filexfer-02 §6.3);
	 * Linux's pwrite does exactly that on an O_APPEND file. */
	int e = write_all(hd->fd, r->data.p, r->data.n, r->offset);
	if (e != 0)
		return reply_errno(srv, r->id, e);
	hd->bytes_written += r->data.n;
	return reply_ok(srv, r->id);
}

static int stat_path(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r,
		     bool follow)
{
	struct node n;
	struct stat st;
	struct sftp_attrs a;
	char *sys = fs_syspath(fs, &r->path);
	int e, rc;

	if (sys == NULL)
		return FERRY_ENOMEM;
	if ((e = node_get(fs, sys, follow, &n)) == 0) {
		e = node_stat(&n, &st);
		node_put(&n);
	}
	if (e != 0) {
		rc = reply_errno(srv, r->id, e);
	} else {
		attrs_from_stat(&st, &a);
		rc = sftp_server_send_attrs(srv, r->id, &a);
	}
	free(sys);
	return rc;
}

static int op_lstat(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	return stat_path(fs, srv, r, false);
}

static int op_stat(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	return stat_path(fs, srv, r, true);
}

static int op_fstat(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_FILE | HANDLE_DIR, NULL);
	struct stat st;
	struct sftp_attrs a;
	if (hd == NULL)
		return reply_bad_handle(srv, r->id);
	if (fstat(handle_fd(hd), &st) != 0)
		return reply_errno(srv, r->id, errno);
	attrs_from_stat(&st, &a);
	return sftp_server_send_attrs(srv, r->id, &a);
}

/* Where SETSTAT, LSETSTAT and FSETSTAT apply attributes: an open fd, or a node (with the
 * path for a truncation by name). */
struct attr_target {
	int fd;
	const struct node *node;
	const char *syspath;
	bool lset;
	const char *logname;     /* escaped, for logs */
};

/* filexfer-02 §6.9: size, then permissions, then times, then owner (OpenSSH's order); the
 * first failure stops it. Returns 0 or errno. */
static int apply_attrs(struct sftp_fs *fs, const struct attr_target *t, const struct sftp_attrs *a)
{
	int e;
	if (a->flags & SSH_FILEXFER_ATTR_SIZE) {
		log_info("set \"%s\" size %llu", t->logname, (unsigned long long)a->size);
		if (a->size > (uint64_t)INT64_MAX)
			return EINVAL;
		if (t->fd >= 0) {
			if (ftruncate(t->fd, (off_t)a->size) != 0)
				return errno;
		} else if (t->lset) {
			/* A size means nothing for a symlink; OpenSSH refuses it too. */
			return EINVAL;
		} else {
			int fd;
			if ((e = fs_open(fs, t->syspath, O_WRONLY | O_NONBLOCK | O_NOCTTY, 0, &fd)) != 0)
				return e;
			e = ftruncate(fd, (off_t)a->size) == 0 ? 0 : errno;
			close(fd);
			if (e != 0)
				return e;
		}
	}
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) {
		mode_t mode = (mode_t)(a->perm & 07777);
		log_info("set \"%s\" mode %04o", t->logname, (unsigned)mode);
		if (t->fd >= 0)
			e = fchmod(t->fd, mode) == 0 ? 0 : errno;
		else
			e = node_chmod(t->node, mode);
		if (e != 0)
			return e;
	}
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		struct timespec ts[2] = { { (time_t)a->atime, 0 }, { (time_t)a->mtime, 0 } };
		if (flog_enabled(FLOG_INFO)) {
			char when[64];
			time_t mt = (time_t)a->mtime;
			struct tm tm;
			if (localtime_r(&mt, &tm) == NULL ||
			    strftime(when, sizeof(when), "%Y%m%d-%H:%M:%S", &tm) == 0)
				snprintf(when, sizeof(when), "%lu", (unsigned long)a->mtime);
			log_info("set \"%s\" modtime %s", t->logname, when);
		}
		if (t->fd >= 0)
			e = futimens(t->fd, ts) == 0 ? 0 : errno;
		else
			e = node_utimes(t->node, ts);
		if (e != 0)
			return e;
	}
	if (a->flags & SSH_FILEXFER_ATTR_UIDGID) {
		log_info("set \"%s\" owner %lu group %lu", t->logname, (unsigned long)a->uid,
			 (unsigned long)a->gid);
		if (t->fd >= 0)
			e = fchown(t->fd, (uid_t)a->uid, (gid_t)a->gid) == 0 ? 0 : errno;
		else
			e = node_chown(t->node, (uid_t)a->uid, (gid_t)a->gid);
		if (e != 0)
			return e;
	}
	return 0;
}

static int setstat_path(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r,
			bool lset)
{
	struct node n;
	char *sys = fs_syspath(fs, &r->path), *logname;
	int e, rc;

	if (sys == NULL)
		return FERRY_ENOMEM;
	logname = esc(sys);
	if ((e = node_get(fs, sys, !lset, &n)) == 0) {
		struct attr_target t = { .fd = -1, .node = &n, .syspath = sys, .lset = lset,
					 .logname = logname };
		e = apply_attrs(fs, &t, &r->attrs);
		node_put(&n);
	}
	rc = e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
	free(logname);
	free(sys);
	return rc;
}

static int op_setstat(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	return setstat_path(fs, srv, r, false);
}

/* PROTOCOL §4.7: as SETSTAT, on the symlink itself. */
static int op_lsetstat(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	return setstat_path(fs, srv, r, true);
}

static int op_fsetstat(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_FILE | HANDLE_DIR, NULL);
	if (hd == NULL)
		return reply_bad_handle(srv, r->id);
	char *logname = esc(hd->path);
	struct attr_target t = { .fd = handle_fd(hd), .logname = logname };
	int e = apply_attrs(fs, &t, &r->attrs);
	free(logname);
	return e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
}

/* filexfer-02 §6.7 */
static int op_opendir(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	char *sys;
	int fd = -1, e, rc;
	DIR *dir;
	uint8_t h[8];
	struct stat st;

	if (handles_full(fs))
		return reply_handles_full(fs, srv, r->id);
	if ((sys = fs_syspath(fs, &r->path)) == NULL)
		return FERRY_ENOMEM;
	if (flog_enabled(FLOG_INFO)) {
		char *p = esc(sys);
		log_info("opendir \"%s\"", p);
		free(p);
	}
	e = fs_open(fs, sys, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0, &fd);
	if (e != 0) {
		rc = reply_errno(srv, r->id, e);
		goto out;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		e = errno;
		close(fd);
		rc = reply_errno(srv, r->id, e);
		goto out;
	}
	rc = handle_add(fs, HANDLE_DIR, -1, dir, sys, 0, h);
	if (rc != 0) {
		closedir(dir);
		if (rc == FERRY_EFULL)
			rc = reply_handles_full(fs, srv, r->id);
		goto out;
	}
	struct fs_handle *hd = handle_find(fs, &(struct sftp_bytes){ h, 8 }, HANDLE_DIR, NULL);
	if (fs->jail && hd != NULL && fstat(dirfd(dir), &st) == 0)
		hd->is_root = st.st_dev == fs->root_dev && st.st_ino == fs->root_ino;
	rc = sftp_server_send_handle(srv, r->id, h, sizeof(h));
out:
	free(sys);
	return rc;
}

/* filexfer-02 §6.7: a batch of names with long names and attributes; EOF at the end. */
static int op_readdir(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_DIR, NULL);
	struct sftp_name_entry ents[READDIR_BATCH];
	char *longnames[READDIR_BATCH];
	size_t count = 0;
	int rc = 0, e = 0;
	time_t now = time(NULL);

	if (hd == NULL)
		return reply_bad_handle(srv, r->id);
	while (count < READDIR_BATCH) {
		struct dirent *de;
		struct stat st;
		struct tm tm;
		errno = 0;
		de = readdir(hd->dir);
		if (de == NULL) {
			e = errno;
			break;
		}
		int sfd = dirfd(hd->dir);
		const char *statname = de->d_name;
		/* The jail root's ".." would be the directory above the jail: show the root. */
		if (hd->is_root && strcmp(de->d_name, "..") == 0)
			statname = ".";
		/* A name that vanished since readdir is left out, as OpenSSH's server does. */
		if (fstatat(sfd, statname, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		struct sftp_name_entry *en = &ents[count];
		memset(en, 0, sizeof(*en));
		attrs_from_stat(&st, &en->attrs);
		en->name.p = (const uint8_t *)de->d_name;
		en->name.n = strlen(de->d_name);
		bool recent = st.st_mtime > now - SIX_MONTHS && st.st_mtime <= now + 3600;
		char *ln = NULL;
		struct tm *tmp = localtime_r(&st.st_mtime, &tm);
		rc = sftp_longname_format(&en->attrs, (unsigned long)st.st_nlink,
					  id_name(fs, false, (uint32_t)st.st_uid),
					  id_name(fs, true, (uint32_t)st.st_gid), tmp, recent,
					  en->name.p, en->name.n, &ln);
		if (rc != 0)
			goto out;
		longnames[count] = ln;
		en->longname.p = (const uint8_t *)ln;
		en->longname.n = strlen(ln);
		/* d_name lives in the DIR's buffer, which the next readdir may reuse: copy it. */
		char *nm = strdup(de->d_name);
		if (nm == NULL) {
			free(ln);
			rc = FERRY_ENOMEM;
			goto out;
		}
		en->name.p = (const uint8_t *)nm;
		count++;
	}
	if (count == 0) {
		if (e != 0)
			rc = reply_errno(srv, r->id, e);
		else
			rc = sftp_server_send_status(srv, r->id, SSH_FX_EOF, NULL);
	} else {
		rc = sftp_server_send_name(srv, r->id, ents, count);
	}
out:
	for (size_t i = 0; i < count; i++) {
		free(longnames[i]);
		free((void *)ents[i].name.p);
	}
	return rc;
}

static int op_remove(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct entry en;
	char *sys = fs_syspath(fs, &r->path);
	int e, rc;
	if (sys == NULL)
		return FERRY_ENOMEM;
	if (flog_enabled(FLOG_INFO)) {
		char *p = esc(sys);
		log_info("remove name \"%s\"", p);
		free(p);
	}
	if ((e = entry_get(fs, sys, &en)) == 0) {
		if (en.special)
			e = EISDIR;
		else if (unlinkat(en.dirfd, en.name, 0) != 0)
			e = errno;
		entry_put(&en);
	}
	rc = e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
	free(sys);
	return rc;
}

static int op_mkdir(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct entry en;
	char *sys = fs_syspath(fs, &r->path);
	mode_t mode = (r->attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (mode_t)(r->attrs.perm & 07777)
								      : 0777;
	int e, rc;
	if (sys == NULL)
		return FERRY_ENOMEM;
	if (flog_enabled(FLOG_INFO)) {
		char *p = esc(sys);
		log_info("mkdir name \"%s\" mode 0%o", p, (unsigned)mode);
		free(p);
	}
	if ((e = entry_get(fs, sys, &en)) == 0) {
		if (en.special)
			e = EEXIST;
		else if (mkdirat(en.dirfd, en.name, mode) != 0)
			e = errno;
		entry_put(&en);
	}
	rc = e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
	free(sys);
	return rc;
}

static int op_rmdir(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct entry en;
	char *sys = fs_syspath(fs, &r->path);
	int e, rc;
	if (sys == NULL)
		return FERRY_ENOMEM;
	if (flog_enabled(FLOG_INFO)) {
		char *p = esc(sys);
		log_info("rmdir name \"%s\"", p);
		free(p);
	}
	if ((e = entry_get(fs, sys, &en)) == 0) {
		if (en.special)
			e = EBUSY;
		else if (unlinkat(en.dirfd, en.name, AT_REMOVEDIR) != 0)
			e = errno;
		entry_put(&en);
	}
	rc = e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
	free(sys);
	return rc;
}

static int op_realpath(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	char *path = bytes_dup(&r->path), *res = NULL;
	int e, rc;
	if (path == NULL)
		return FERRY_ENOMEM;
	/* An empty path means the current directory, as "." does. */
	e = fs_realpath(fs, path[0] ? path : ".", &res);
	if (e != 0) {
		rc = reply_errno(srv, r->id, e);
	} else {
		rc = reply_one_name(srv, r->id, res);
		free(res);
	}
	free(path);
	return rc;
}

/* Two entries for the requests that name an old and a new path. */
static int two_entries(struct sftp_fs *fs, const struct sftp_request *r, struct entry *a,
		       struct entry *b, char **logold, char **lognew)
{
	char *s1 = fs_syspath(fs, &r->path), *s2 = fs_syspath(fs, &r->path2);
	int e = ENOMEM;
	if (s1 == NULL || s2 == NULL)
		goto out;
	*logold = esc(s1);
	*lognew = esc(s2);
	if ((e = entry_get(fs, s1, a)) != 0)
		goto out;
	if ((e = entry_get(fs, s2, b)) != 0)
		entry_put(a);
out:
	free(s1);
	free(s2);
	return e;
}

/* filexfer-02 §6.5: RENAME fails when newpath exists. renameat2(RENAME_NOREPLACE) does that
 * atomically; a file system without it gets a check and a plain rename. */
static int rename_noreplace(const struct entry *a, const struct entry *b)
{
	struct stat st;
	if (renameat2(a->dirfd, a->name, b->dirfd, b->name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return errno;
	if (fstatat(b->dirfd, b->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return EEXIST;
	return renameat(a->dirfd, a->name, b->dirfd, b->name) == 0 ? 0 : errno;
}

enum two_path_op { TP_RENAME, TP_POSIX_RENAME, TP_HARDLINK };

static int two_path(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r,
		    enum two_path_op what)
{
	static const char *const names[] = { "rename", "posix-rename", "hardlink" };
	struct entry a, b;
	char *lo = NULL, *ln = NULL;
	int e, rc;

	e = two_entries(fs, r, &a, &b, &lo, &ln);
	if (lo != NULL && ln != NULL)
		log_info("%s old \"%s\" new \"%s\"", names[what], lo, ln);
	if (e == 0) {
		if (a.special || b.special)
			e = what == TP_HARDLINK ? EEXIST : EBUSY;
		else if (what == TP_RENAME)
			e = rename_noreplace(&a, &b);
		else if (what == TP_POSIX_RENAME)
			e = renameat(a.dirfd, a.name, b.dirfd, b.name) == 0 ? 0 : errno;
		else
			e = linkat(a.dirfd, a.name, b.dirfd, b.name, 0) == 0 ? 0 : errno;
		entry_put(&a);
		entry_put(&b);
	}
	rc = e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
	free(lo);
	free(ln);
	return rc;
}

static int op_rename(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	return two_path(fs, srv, r, TP_RENAME);
}

/* PROTOCOL §4.3: rename(2), replacing newpath. */
static int op_posix_rename(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	return two_path(fs, srv, r, TP_POSIX_RENAME);
}

/* PROTOCOL §4.5: link(2). */
static int op_hardlink(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	return two_path(fs, srv, r, TP_HARDLINK);
}

static int op_readlink(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct node n;
	char buf[PATH_MAX + 1];
	char *sys = fs_syspath(fs, &r->path);
	ssize_t len = -1;
	int e, rc;
	if (sys == NULL)
		return FERRY_ENOMEM;
	if ((e = node_get(fs, sys, false, &n)) == 0) {
		len = readlinkat(n.dirfd, n.name, buf, sizeof(buf) - 1);
		if (len < 0)
			e = errno;
		node_put(&n);
	}
	if (e != 0) {
		rc = reply_errno(srv, r->id, e);
	} else {
		buf[len] = '\0';
		rc = reply_one_name(srv, r->id, buf);
	}
	free(sys);
	return rc;
}

/* PROTOCOL §4.1: path holds the target (stored as is), path2 the link to create. */
static int op_symlink(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct entry en;
	char *target = bytes_dup(&r->path), *sys = fs_syspath(fs, &r->path2);
	int e, rc = FERRY_ENOMEM;
	if (target == NULL || sys == NULL)
		goto out;
	if (flog_enabled(FLOG_INFO)) {
		char *t = esc(target), *l = esc(sys);
		log_info("symlink old \"%s\" new \"%s\"", t, l);
		free(t);
		free(l);
	}
	if ((e = entry_get(fs, sys, &en)) == 0) {
		if (en.special)
			e = EEXIST;
		else if (symlinkat(target, en.dirfd, en.name) != 0)
			e = errno;
		entry_put(&en);
	}
	rc = e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
out:
	free(target);
	free(sys);
	return rc;
}

static void statvfs_fill(const struct statvfs *v, struct sftp_statvfs *o)
{
	o->bsize = v->f_bsize;
	o->frsize = v->f_frsize;
	o->blocks = v->f_blocks;
	o->bfree = v->f_bfree;
	o->bavail = v->f_bavail;
	o->files = v->f_files;
	o->ffree = v->f_ffree;
	o->favail = v->f_favail;
	o->fsid = v->f_fsid;
	o->flag = ((v->f_flag & ST_RDONLY) ? SSH_FXE_STATVFS_ST_RDONLY : 0) |
		  ((v->f_flag & ST_NOSUID) ? SSH_FXE_STATVFS_ST_NOSUID : 0);
	o->namemax = v->f_namemax;
}

/* PROTOCOL §4.4 */
static int op_statvfs(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct statvfs v;
	struct sftp_statvfs o;
	char *sys = fs_syspath(fs, &r->path);
	int fd, e, rc;
	if (sys == NULL)
		return FERRY_ENOMEM;
	if ((e = fs_open(fs, sys, O_PATH, 0, &fd)) == 0) {
		if (fstatvfs(fd, &v) != 0)
			e = errno;
		close(fd);
	}
	if (e == 0) {
		statvfs_fill(&v, &o);
		rc = sftp_server_send_statvfs(srv, r->id, &o);
	} else {
		rc = reply_errno(srv, r->id, e);
	}
	free(sys);
	return rc;
}

static int op_fstatvfs(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_FILE | HANDLE_DIR, NULL);
	struct statvfs v;
	struct sftp_statvfs o;
	if (hd == NULL)
		return reply_bad_handle(srv, r->id);
	if (fstatvfs(handle_fd(hd), &v) != 0)
		return reply_errno(srv, r->id, errno);
	statvfs_fill(&v, &o);
	return sftp_server_send_statvfs(srv, r->id, &o);
}

/* PROTOCOL §4.6 */
static int op_fsync(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_FILE, NULL);
	if (hd == NULL)
		return reply_bad_handle(srv, r->id);
	if (fsync(hd->fd) != 0)
		return reply_errno(srv, r->id, errno);
	return reply_ok(srv, r->id);
}

void sftp_fs_limits(const struct sftp_fs *fs, struct sftp_limits *out)
{
	out->max_packet = SFTP_MAX_PACKET;
	out->max_read = SFTP_MAX_RW;
	out->max_write = SFTP_MAX_RW;
	out->max_handles = fs->max_handles;
}

/* PROTOCOL §4.8 */
static int op_limits(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	struct sftp_limits l;
	sftp_fs_limits(fs, &l);
	return sftp_server_send_limits(srv, r->id, &l);
}

/* The home directory of user (NULL or "": the session's user). Jail: "/" for the session's
 * user, nothing for others. Returns 0 with *out (caller frees) or an errno value. */
static int home_of(const struct sftp_fs *fs, const char *user, char **out)
{
	if (user == NULL || user[0] == '\0' || (fs->user != NULL && strcmp(user, fs->user) == 0)) {
		*out = strdup(fs->jail ? "/" : fs->home);
		return *out ? 0 : ENOMEM;
	}
	if (fs->jail)
		return ENOENT;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL)
		return ENOENT;
	*out = strdup(pw->pw_dir);
	return *out ? 0 : ENOMEM;
}

/* "~", "~/rest", "~user", "~user/rest" with the home directory put in. Returns 0 with *out
 * (caller frees), or an errno value. */
static int tilde_expand(const struct sftp_fs *fs, const char *path, char **out)
{
	const char *slash, *rest;
	char *user, *home = NULL;
	int e;

	if (path[0] != '~') {
		*out = strdup(path);
		return *out ? 0 : ENOMEM;
	}
	slash = strchr(path, '/');
	user = slash ? strndup(path + 1, (size_t)(slash - path - 1)) : strdup(path + 1);
	if (user == NULL)
		return ENOMEM;
	e = home_of(fs, user, &home);
	free(user);
	if (e != 0)
		return e;
	rest = slash ? slash + 1 : "";
	*out = rest[0] ? path_join(home, rest) : strdup(home);
	free(home);
	return *out ? 0 : ENOMEM;
}

/* PROTOCOL §4.9: tilde expansion, then canonicalisation as REALPATH. */
static int op_expand_path(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	char *path = bytes_dup(&r->path), *exp = NULL, *res = NULL;
	int e, rc;
	if (path == NULL)
		return FERRY_ENOMEM;
	e = tilde_expand(fs, path, &exp);
	if (e == 0)
		e = fs_realpath(fs, exp[0] ? exp : ".", &res);
	if (e != 0) {
		rc = reply_errno(srv, r->id, e);
	} else {
		rc = reply_one_name(srv, r->id, res);
	}
	free(res);
	free(exp);
	free(path);
	return rc;
}

/* PROTOCOL §4.11: a NAME with the home directory. */
static int op_home_directory(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	char *user = bytes_dup(&r->path), *home = NULL;
	int e, rc;
	if (user == NULL)
		return FERRY_ENOMEM;
	e = home_of(fs, user, &home);
	if (e == ENOENT)
		rc = sftp_server_send_status(srv, r->id, SSH_FX_FAILURE, "no such user");
	else if (e != 0)
		rc = reply_errno(srv, r->id, e);
	else
		rc = reply_one_name(srv, r->id, home);
	free(home);
	free(user);
	return rc;
}

/* PROTOCOL §4.12: names for ids, "" for an id with none. */
static int op_users_groups(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	size_t nu = r->data.n / 4, ng = r->data2.n / 4;
	char **users = calloc(nu + 1, sizeof(char *)), **groups = calloc(ng + 1, sizeof(char *));
	int rc = FERRY_ENOMEM;

	if (users == NULL || groups == NULL)
		goto out;
	for (size_t i = 0; i < nu; i++)
		if ((users[i] = strdup(id_name(fs, false, sftp_id_at(&r->data, i)))) == NULL)
			goto out;
	for (size_t i = 0; i < ng; i++)
		if ((groups[i] = strdup(id_name(fs, true, sftp_id_at(&r->data2, i)))) == NULL)
			goto out;
	rc = sftp_server_send_names_by_id(srv, r->id, (const char *const *)users, nu,
					  (const char *const *)groups, ng);
out:
	if (users)
		for (size_t i = 0; i < nu; i++)
			free(users[i]);
	if (groups)
		for (size_t i = 0; i < ng; i++)
			free(groups[i]);
	free(users);
	free(groups);
	return rc;
}

/* PROTOCOL §4.10: copy length bytes (0: to the end) from one handle to another. Returns 0 or
 * errno; *copied says how far it got. */
static int copy_range(struct sftp_fs *fs, int rfd, uint64_t roff, int wfd, uint64_t woff,
		      uint64_t len, uint64_t *copied)
{
	bool all = len == 0;
	bool kernel = true;
	uint64_t done = 0;

	if (roff > (uint64_t)INT64_MAX || woff > (uint64_t)INT64_MAX)
		return EINVAL;
	while (all || done < len) {
		uint64_t left = all ? (1u << 30) : len - done;
		size_t want = left > (1u << 30) ? (1u << 30) : (size_t)left;
		if (kernel) {
			loff_t ro = (loff_t)(roff + done), wo = (loff_t)(woff + done);
			ssize_t n = copy_file_range(rfd, &ro, wfd, &wo, want, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				/* Across file systems, on an O_APPEND target, on overlapping ranges of
				 * one file or without kernel support: copy through the buffer. */
				if (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
				    errno == EOPNOTSUPP || errno == EBADF) {
					kernel = false;
					continue;
				}
				*copied = done;
				return errno;
			}
			if (n == 0)
				break;
			done += (uint64_t)n;
			continue;
		}
		if (want > IOBUF_SIZE)
			want = IOBUF_SIZE;
		ssize_t n = pread(rfd, fs->iobuf, want, (off_t)(roff + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*copied = done;
			return errno;
		}
		if (n == 0)
			break;
		int e = write_all(wfd, fs->iobuf, (size_t)n, woff + done);
		if (e != 0) {
			*copied = done;
			return e;
		}
		done += (uint64_t)n;
	}
	*copied = done;
	return 0;
}

static int op_copy_data(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	uint32_t ri, wi;
	struct fs_handle *rh = handle_find(fs, &r->handle, HANDLE_FILE, &ri);
	struct fs_handle *wh = handle_find(fs, &r->handle2, HANDLE_FILE, &wi);
	uint64_t copied = 0;

	if (rh == NULL || wh == NULL)
		return reply_bad_handle(srv, r->id);
	/* PROTOCOL §4.10 asks for SSH_FX_INVALID_PARAMETER, which version 3 does not have. */
	if (ri == wi)
		return sftp_server_send_status(srv, r->id, SSH_FX_FAILURE,
					       "read and write handles are the same");
	if (flog_enabled(FLOG_INFO)) {
		char *a = esc(rh->path), *b = esc(wh->path);
		log_info("copy-data from \"%s\" offset %llu length %llu to \"%s\" offset %llu", a,
			 (unsigned long long)r->offset, (unsigned long long)r->length, b,
			 (unsigned long long)r->offset2);
		free(a);
		free(b);
	}
	int e = copy_range(fs, rh->fd, r->offset, wh->fd, r->offset2, r->length, &copied);
	rh->bytes_read += copied;
	wh->bytes_written += copied;
	return e ? reply_errno(srv, r->id, e) : reply_ok(srv, r->id);
}

/* check-file's hash algorithms (extensions draft §3 names; xxh3 and xxh128 are ferry's). */
struct check_alg {
	const char *name;
	bool xxh;
	enum hash_alg alg;       /* !xxh */
	bool bits128;            /* xxh */
	size_t len;
};

static const struct check_alg check_algs[] = {
	{ "sha256", false, HASH_SHA256, false, 32 },
	{ "sha384", false, HASH_SHA384, false, 48 },
	{ "sha512", false, HASH_SHA512, false, 64 },
	{ "sha1", false, HASH_SHA1, false, 20 },
	{ "xxh128", true, HASH_SHA256, true, 16 },
	{ "xxh3", true, HASH_SHA256, false, 8 },
};

/* The first algorithm of the client's comma-separated list that ferry has, or NULL. */
static const struct check_alg *check_alg_pick(const struct sftp_bytes *list)
{
	size_t i = 0;
	while (i < list->n) {
		size_t j = i;
		while (j < list->n && list->p[j] != ',')
			j++;
		for (size_t k = 0; k < sizeof(check_algs) / sizeof(check_algs[0]); k++)
			if (strlen(check_algs[k].name) == j - i &&
			    memcmp(check_algs[k].name, list->p + i, j - i) == 0)
				return &check_algs[k];
		i = j + 1;
	}
	return NULL;
}

struct hasher {
	const struct check_alg *alg;
	struct hash_ctx *sha;
	struct xxh3_ctx *xxh;
};

static int hasher_start(struct hasher *h)
{
	if (h->alg->xxh) {
		if (h->xxh == NULL)
			return xxh3_new(h->alg->bits128, &h->xxh);
		xxh3_reset(h->xxh);
		return 0;
	}
	hash_free(h->sha);
	h->sha = NULL;
	return hash_new(h->alg->alg, &h->sha);
}

static int hasher_update(struct hasher *h, const uint8_t *p, size_t n)
{
	if (h->alg->xxh) {
		xxh3_update(h->xxh, p, n);
		return 0;
	}
	return hash_update(h->sha, p, n);
}

static int hasher_finish(struct hasher *h, uint8_t *out)
{
	if (h->alg->xxh) {
		xxh3_digest(h->xxh, out);
		return 0;
	}
	int r = hash_final(h->sha, out);
	hash_free(h->sha);
	h->sha = NULL;
	return r;
}

static void hasher_free(struct hasher *h)
{
	hash_free(h->sha);
	xxh3_free(h->xxh);
}

/* extensions draft §3: hashes of [offset, offset+length) (length 0: to the end of the file),
 * one for the whole range (block 0) or one per block, the last block short. */
static int check_file(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r,
		      int fd)
{
	const struct check_alg *alg = check_alg_pick(&r->data);
	struct hasher h = { 0 };
	struct stat st;
	uint8_t *out = NULL;
	size_t nout = 0;
	int rc, e = 0;

	if (alg == NULL)
		return sftp_server_send_status(srv, r->id, SSH_FX_OP_UNSUPPORTED,
					       "no supported hash algorithm");
	h.alg = alg;
	if (fstat(fd, &st) != 0)
		return reply_errno(srv, r->id, errno);
	if (S_ISDIR(st.st_mode))
		return reply_errno(srv, r->id, EISDIR);
	uint64_t start = r->offset, end;
	end = (r->length == 0 || r->length > UINT64_MAX - start) ? UINT64_MAX : start + r->length;
	if (S_ISREG(st.st_mode) && end > (uint64_t)st.st_size)
		end = (uint64_t)st.st_size;
	if (end < start)
		end = start;
	if (start > (uint64_t)INT64_MAX)
		return reply_errno(srv, r->id, EINVAL);
	uint64_t blocks = 1;
	if (r->block_size != 0) {
		uint64_t span = end - start;
		blocks = span / r->block_size + (span % r->block_size ? 1 : 0);
		/* The reply has to fit in one packet a client takes. */
		if (blocks > REPLY_BUDGET / alg->len)
			return sftp_server_send_status(srv, r->id, SSH_FX_FAILURE,
						       "too many blocks for one reply");
	}
	out = malloc((size_t)(blocks ? blocks : 1) * alg->len);
	if (out == NULL)
		return FERRY_ENOMEM;
	uint64_t pos = start, block_left = r->block_size;
	bool in_block = false;
	while (pos < end) {
		if (!in_block) {
			if ((rc = hasher_start(&h)) != 0)
				goto out;
			in_block = true;
			block_left = r->block_size;
		}
		uint64_t want = end - pos;
		if (want > IOBUF_SIZE)
			want = IOBUF_SIZE;
		if (r->block_size != 0 && want > block_left)
			want = block_left;
		ssize_t n = pread(fd, fs->iobuf, (size_t)want, (off_t)pos);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		if (n == 0)
			break;
		if ((rc = hasher_update(&h, fs->iobuf, (size_t)n)) != 0)
			goto out;
		pos += (uint64_t)n;
		if (r->block_size != 0) {
			block_left -= (uint64_t)n;
			if (block_left == 0) {
				if ((rc = hasher_finish(&h, out + nout)) != 0)
					goto out;
				nout += alg->len;
				in_block = false;
			}
		}
	}
	if (e != 0) {
		rc = reply_errno(srv, r->id, e);
		goto out;
	}
	/* The whole range as one hash (possibly of nothing), or the short last block. */
	if (r->block_size == 0 || in_block) {
		if (!in_block && (rc = hasher_start(&h)) != 0)
			goto out;
		if ((rc = hasher_finish(&h, out + nout)) != 0)
			goto out;
		nout += alg->len;
	}
	rc = sftp_server_send_check_file(srv, r->id, alg->name, out, nout);
out:
	hasher_free(&h);
	free(out);
	return rc;
}

static int op_check_file_handle(struct sftp_fs *fs, struct sftp_server *srv,
				const struct sftp_request *r)
{
	struct fs_handle *hd = handle_find(fs, &r->handle, HANDLE_FILE, NULL);
	if (hd == NULL)
		return reply_bad_handle(srv, r->id);
	return check_file(fs, srv, r, hd->fd);
}

static int op_check_file_name(struct sftp_fs *fs, struct sftp_server *srv,
			      const struct sftp_request *r)
{
	char *sys = fs_syspath(fs, &r->path);
	int fd, e, rc;
	if (sys == NULL)
		return FERRY_ENOMEM;
	e = fs_open(fs, sys, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &fd);
	free(sys);
	if (e != 0)
		return reply_errno(srv, r->id, e);
	rc = check_file(fs, srv, r, fd);
	close(fd);
	return rc;
}

static const op_fn handlers[SFTP_OP_COUNT] = {
	[SFTP_OP_OPEN] = op_open,
	[SFTP_OP_CLOSE] = op_close,
	[SFTP_OP_READ] = op_read,
	[SFTP_OP_WRITE] = op_write,
	[SFTP_OP_LSTAT] = op_lstat,
	[SFTP_OP_FSTAT] = op_fstat,
	[SFTP_OP_SETSTAT] = op_setstat,
	[SFTP_OP_FSETSTAT] = op_fsetstat,
	[SFTP_OP_OPENDIR] = op_opendir,
	[SFTP_OP_READDIR] = op_readdir,
	[SFTP_OP_REMOVE] = op_remove,
	[SFTP_OP_MKDIR] = op_mkdir,
	[SFTP_OP_RMDIR] = op_rmdir,
	[SFTP_OP_REALPATH] = op_realpath,
	[SFTP_OP_STAT] = op_stat,
	[SFTP_OP_RENAME] = op_rename,
	[SFTP_OP_READLINK] = op_readlink,
	[SFTP_OP_SYMLINK] = op_symlink,
	[SFTP_OP_POSIX_RENAME] = op_posix_rename,
	[SFTP_OP_STATVFS] = op_statvfs,
	[SFTP_OP_FSTATVFS] = op_fstatvfs,
	[SFTP_OP_HARDLINK] = op_hardlink,
	[SFTP_OP_FSYNC] = op_fsync,
	[SFTP_OP_LSETSTAT] = op_lsetstat,
	[SFTP_OP_LIMITS] = op_limits,
	[SFTP_OP_EXPAND_PATH] = op_expand_path,
	[SFTP_OP_COPY_DATA] = op_copy_data,
	[SFTP_OP_HOME_DIRECTORY] = op_home_directory,
	[SFTP_OP_USERS_GROUPS_BY_ID] = op_users_groups,
	[SFTP_OP_CHECK_FILE_HANDLE] = op_check_file_handle,
	[SFTP_OP_CHECK_FILE_NAME] = op_check_file_name,
};

/* -p / -P and -R, as OpenSSH's sftp-server decides them; why not, in *why. */
static bool request_allowed(const struct sftp_fs *fs, const struct sftp_op_info *info,
			    const char **why)
{
	if (fs->allowed != NULL && !namelist_contains(fs->allowed, info->name)) {
		*why = "not on the allowed list";
		return false;
	}
	if (fs->denied != NULL && namelist_contains(fs->denied, info->name)) {
		*why = "on the denied list";
		return false;
	}
	if (fs->read_only && info->writes) {
		*why = "read-only mode";
		return false;
	}
	return true;
}

static bool request_permitted(const struct sftp_fs *fs, const struct sftp_op_info *info)
{
	const char *why = NULL;
	if (request_allowed(fs, info, &why))
		return true;
	log_verbose("refusing %s request (%s)", info->name, why);
	return false;
}

uint64_t sftp_fs_hidden_ops(const struct sftp_fs *fs)
{
	uint64_t bits = 0;
	const char *why;
	for (int op = SFTP_OP_NONE + 1; op < SFTP_OP_COUNT; op++) {
		const struct sftp_op_info *info = sftp_op_info((enum sftp_op)op);
		if (info != NULL && info->ext != NULL && !request_allowed(fs, info, &why))
			bits |= UINT64_C(1) << op;
	}
	return bits;
}

int sftp_fs_execute(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *r)
{
	const struct sftp_op_info *info;

	switch (r->op) {
	case SFTP_OP_NONE:
		return 0;
	case SFTP_OP_UNSUPPORTED:
		if (r->type == SSH_FXP_EXTENDED && flog_enabled(FLOG_DEBUG1)) {
			char *n = str_escape_untrusted(r->ext_name.p, r->ext_name.n);
			log_debug1("unsupported extended request \"%s\"", n ? n : "?");
			free(n);
		} else {
			log_debug1("unsupported request type %u", r->type);
		}
		return sftp_server_send_status(srv, r->id, SSH_FX_OP_UNSUPPORTED, NULL);
	case SFTP_OP_BAD:
		log_verbose("malformed request %u (type %u): %s", r->id, r->type, r->error);
		return sftp_server_send_status(srv, r->id, SSH_FX_BAD_MESSAGE, r->error);
	default:
		break;
	}
	info = sftp_op_info(r->op);
	if (info == NULL || (unsigned)r->op >= SFTP_OP_COUNT || handlers[r->op] == NULL)
		return sftp_server_send_status(srv, r->id, SSH_FX_OP_UNSUPPORTED, NULL);
	log_debug2("request %u: %s", r->id, info->name);
	if (!request_permitted(fs, info))
		return sftp_server_send_status(srv, r->id, SSH_FX_PERMISSION_DENIED, NULL);
	return handlers[r->op](fs, srv, r);
}

unsigned sftp_fs_open_handles(const struct sftp_fs *fs)
{
	return fs->n_open;
}

/* --- set-up ------------------------------------------------------------------------------ */

/* -d's expansions: %d home, %u user, %%, and a leading ~ or ~/ for the home directory. */
static int expand_start_dir(const char *s, const char *user, const char *home, char **out)
{
	struct buf b;
	int r = 0;
	uint8_t nul = 0;

	buf_init(&b, 64 * 1024);
	if (s[0] == '~' && (s[1] == '\0' || s[1] == '/')) {
		r = buf_put(&b, home, strlen(home));
		s++;
	}
	for (; r == 0 && *s; s++) {
		if (*s != '%') {
			r = buf_put_u8(&b, (uint8_t)*s);
			continue;
		}
		s++;
		if (*s == 'd')
			r = buf_put(&b, home, strlen(home));
		else if (*s == 'u')
			r = buf_put(&b, user, strlen(user));
		else if (*s == '%')
			r = buf_put_u8(&b, '%');
		else
			r = FERRY_EINVAL;
	}
	if (r == 0)
		r = buf_put(&b, &nul, 1);
	if (r == 0 && (*out = strdup((const char *)buf_rptr(&b))) == NULL)
		r = FERRY_ENOMEM;
	buf_free(&b);
	return r;
}

/* Room in RLIMIT_NOFILE for max handles plus the fds a session needs anyway. */
static unsigned fit_handles(unsigned want)
{
	struct rlimit rl;
	const rlim_t spare = 32;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want + spare) {
		rlim_t need = (rlim_t)want + spare;
		rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) ? need : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return want;
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want + spare)
			want = rl.rlim_cur > spare + 1 ? (unsigned)(rl.rlim_cur - spare) : 1;
	}
	return want;
}

static int jail_setup(struct sftp_fs *fs, const char *dir)
{
	char proc[48];
	struct stat st;
	int fd;

	fs->root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->root_fd < 0) {
		int e = errno;
		log_error("cannot open the jail \"%s\": %s", dir, strerror(e));
		return ferry_from_errno(e);
	}
	if (fstat(fs->root_fd, &st) != 0)
		return ferry_from_errno(errno);
	fs->root_dev = st.st_dev;
	fs->root_ino = st.st_ino;
	/* Without openat2 the jail cannot be enforced: refuse rather than run without it. */
	fd = jail_openat2(fs->root_fd, ".", O_PATH | O_DIRECTORY, 0);
	if (fd < 0) {
		log_error("jail \"%s\": openat2 is not available (%s)", dir, strerror(errno));
		return FERRY_ENOTSUP;
	}
	close(fd);
	/* The kernel's name for the root, the prefix the client never sees; /proc/self/fd is
	 * needed for it and for chmod on resolved inodes. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fs->root_fd);
	char real[PATH_MAX + 1];
	ssize_t n = readlink(proc, real, sizeof(real) - 1);
	if (n <= 0) {
		log_error("jail \"%s\": /proc/self/fd is not available", dir);
		return FERRY_ENOTSUP;
	}
	real[n] = '\0';
	if ((fs->root_real = strdup(real)) == NULL)
		return FERRY_ENOMEM;
	fs->jail = true;
	return 0;
}

static int start_dir_setup(struct sftp_fs *fs, const char *start)
{
	char *res = NULL;
	if (fs->jail) {
		/* The jail's root until the start directory is found, which is resolved in it. */
		if ((fs->cwd = strdup("/")) == NULL)
			return FERRY_ENOMEM;
		if (start == NULL)
			return 0;
		struct sftp_bytes b = { (const uint8_t *)start, strlen(start) };
		char *sys = fs_syspath(fs, &b);
		int fd, e;
		if (sys == NULL)
			return FERRY_ENOMEM;
		e = fs_open(fs, sys, O_PATH | O_DIRECTORY, 0, &fd);
		free(sys);
		if (e == 0) {
			e = jail_name_of_fd(fs, fd, &res);
			close(fd);
		}
		if (e != 0) {
			log_error("cannot change to the start directory \"%s\": %s", start,
				  e == E_JAIL_ESCAPE ? "outside the jail" : strerror(e));
			return 0;
		}
		free(fs->cwd);
		fs->cwd = res;
		return 0;
	}
	if (start != NULL) {
		fs->cwd_fd = open(start, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fs->cwd_fd < 0)
			log_error("cannot change to the start directory \"%s\": %s", start, strerror(errno));
		else
			res = realpath(start, NULL);
	}
	if (fs->cwd_fd < 0) {
		fs->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fs->cwd_fd < 0)
			return ferry_from_errno(errno);
		res = realpath(".", NULL);
	}
	if (res == NULL)
		res = strdup("/");
	fs->cwd = res;
	return res ? 0 : FERRY_ENOMEM;
}

int sftp_fs_new(const struct sftp_fs_options *opts, struct sftp_fs **out)
{
	struct sftp_fs *fs = calloc(1, sizeof(*fs));
	char *start = NULL;
	int r = FERRY_ENOMEM;

	if (fs == NULL)
		return FERRY_ENOMEM;
	fs->root_fd = -1;
	fs->cwd_fd = -1;
	fs->read_only = opts->read_only;
	if ((opts->allowed && (fs->allowed = strdup(opts->allowed)) == NULL) ||
	    (opts->denied && (fs->denied = strdup(opts->denied)) == NULL))
		goto fail;
	/* getpwuid's result lives until the next lookup: copy both fields at once. */
	struct passwd *pw = (opts->user && opts->home) ? NULL : getpwuid(getuid());
	const char *user = opts->user ? opts->user : pw ? pw->pw_name : "?";
	const char *home = opts->home ? opts->home : pw ? pw->pw_dir : "/";
	if ((fs->user = strdup(user)) == NULL || (fs->home = strdup(home)) == NULL)
		goto fail;
	if ((fs->iobuf = malloc(IOBUF_SIZE)) == NULL)
		goto fail;
	fs->max_handles = fit_handles(opts->max_handles ? opts->max_handles : SFTP_FS_DEFAULT_HANDLES);
	if (opts->set_umask)
		umask(opts->umask & 0777);
	if (opts->start_dir != NULL &&
	    (r = expand_start_dir(opts->start_dir, fs->user, fs->home, &start)) != 0) {
		log_error("bad start directory \"%s\"", opts->start_dir);
		goto fail;
	}
	if (opts->jail_dir != NULL && (r = jail_setup(fs, opts->jail_dir)) != 0)
		goto fail;
	if ((r = start_dir_setup(fs, start)) != 0)
		goto fail;
	free(start);
	if ((fs->peer = strdup(opts->peer ? opts->peer : "UNKNOWN")) == NULL) {
		r = FERRY_ENOMEM;
		goto fail;
	}
	log_info("session opened for local user %s from [%s]", fs->user, fs->peer);
	*out = fs;
	return 0;
fail:
	free(start);
	sftp_fs_free(fs);
	return r;
}

void sftp_fs_free(struct sftp_fs *fs)
{
	if (fs == NULL)
		return;
	for (unsigned i = 0; i < fs->n_slots; i++)
		if (fs->handles[i].kind != HANDLE_FREE)
			(void)handle_release(fs, &fs->handles[i]);
	if (fs->peer != NULL)
		log_info("session closed for local user %s from [%s]", fs->user, fs->peer);
	free(fs->handles);
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	if (fs->cwd_fd >= 0)
		close(fs->cwd_fd);
	for (unsigned i = 0; i < NAME_CACHE; i++) {
		free(fs->users[i].name);
		free(fs->groups[i].name);
	}
	free(fs->root_real);
	free(fs->cwd);
	free(fs->user);
	free(fs->home);
	free(fs->peer);
	free(fs->allowed);
	free(fs->denied);
	free(fs->iobuf);
	free(fs);
}
