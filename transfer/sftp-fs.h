/* The SFTP server's executor: carries out parsed requests (proto/sftp-server.h) against the
 * local file system and queues the replies, with OpenSSH sftp-server's options (read-only,
 * start directory, allowed/denied requests, umask) and ferry's jail (draft-ietf-secsh-filexfer-02
 * version 3, OpenSSH PROTOCOL §4, draft-ietf-secsh-filexfer-extensions §3 check-file). */
#ifndef FERRY_TRANSFER_SFTP_FS_H
#define FERRY_TRANSFER_SFTP_FS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "proto/sftp-server.h"

/* Open handles a session may hold at once unless told otherwise. */
#define SFTP_FS_DEFAULT_HANDLES 1024u

struct sftp_fs_options {
	/* -R: every request that would create, truncate, rename, delete, change attributes or
	 * write is refused with SSH_FX_PERMISSION_DENIED; nothing on disk changes. */
	bool read_only;
	/* -d: the session's starting directory (what REALPATH "." answers), with %d (home
	 * directory), %u (user name) and %% expanded, and ~ or ~/ at the front meaning the home
	 * directory. In jail mode it names a directory inside the jail. NULL: the process's
	 * working directory (jail mode: the jail's root). */
	const char *start_dir;
	/* -j: the jail. Every path is resolved beneath this directory: absolute paths are taken
	 * as relative to it, and no "..", symlink or /proc magic link leads out (openat2(2) with
	 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS). The client sees the jail as "/". sftp_fs_new
	 * fails with FERRY_ENOTSUP where openat2 or /proc/self/fd is missing. NULL: no jail. */
	const char *jail_dir;
	/* -p / -P: comma-separated request names as `sftp-server -Q requests` lists them (e.g.
	 * "open,read,close,realpath"). A request not on the allowed list, or on the denied list,
	 * is refused with SSH_FX_PERMISSION_DENIED. NULL: no list. Unknown names are ignored,
	 * as OpenSSH's sftp-server does. */
	const char *allowed;
	const char *denied;
	/* -u: applied with umask(2) by sftp_fs_new when set_umask (process-wide). */
	bool set_umask;
	mode_t umask;
	/* Cap on open file and directory handles; 0 = SFTP_FS_DEFAULT_HANDLES. OPEN and OPENDIR
	 * beyond it get SSH_FX_FAILURE "too many open files" and the session goes on. sftp_fs_new
	 * raises the process's RLIMIT_NOFILE soft limit towards it if needed (process-wide) and
	 * lowers the cap if the hard limit is too small. */
	unsigned max_handles;
	/* The user the session runs as (logs, %u) and its home directory (~, %d, home-directory);
	 * NULL: looked up from the real uid. */
	const char *user;
	const char *home;
	/* Who is on the other end, for the session log line ("from [...]"); NULL: "UNKNOWN". */
	const char *peer;
};

struct sftp_fs;

/* Sets up a session: opens the jail and the starting directory, copies what it needs from
 * opts (which may be freed afterwards). *out set only on success. FERRY_ENOTSUP for a jail
 * the kernel cannot enforce, FERRY_ENOENT (or another code) when the jail cannot be opened. */
int sftp_fs_new(const struct sftp_fs_options *opts, struct sftp_fs **out) FERRY_MUST_USE;
/* Closes every handle still open and frees fs. Accepts NULL. */
void sftp_fs_free(struct sftp_fs *fs);

/* Carries out one request and queues its reply on srv. File-system failures become STATUS
 * replies; the return value is 0, or an error that ends the session (the output is full or
 * memory ran out). */
int sftp_fs_execute(struct sftp_fs *fs, struct sftp_server *srv, const struct sftp_request *req) FERRY_MUST_USE;

/* The limits the session enforces (and limits@openssh.com reports). */
void sftp_fs_limits(const struct sftp_fs *fs, struct sftp_limits *out);
/* The extensions this session refuses (read-only, -p/-P) as sftp_server_config.hidden_ops
 * bits, so VERSION does not advertise them. */
uint64_t sftp_fs_hidden_ops(const struct sftp_fs *fs);
/* Handles open now. */
unsigned sftp_fs_open_handles(const struct sftp_fs *fs);

#endif
