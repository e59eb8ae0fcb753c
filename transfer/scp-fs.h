/* The legacy scp protocol's sink and source run against the file system over two blocking
 * file descriptors (the protocol machines are proto/scp.h; docs/internals/scp.md). */
#ifndef FERRY_TRANSFER_SCP_FS_H
#define FERRY_TRANSFER_SCP_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Called with each message for a person: the peer's warnings and our own, as OpenSSH's scp
 * prints them when it is the local end ("scp: x: No such file or directory"). The text is
 * already escaped. A remote end (scp -t / -f run by a server) passes NULL: its messages go
 * only to the peer. */
typedef void (*scp_fs_message_fn)(void *arg, const char *text);

struct scp_fs_sink_opts {
	const char *target;          /* where files land: a directory, or the file's new name */
	bool recursive;              /* -r */
	bool preserve;               /* -p: modes as sent (no umask), times from T lines */
	bool target_must_be_dir;     /* -d */
	/* A client that asked for particular names (proto/scp.h: scp_sink_config.patterns). */
	const char *const *patterns;
	size_t npatterns;
	scp_fs_message_fn message;
	void *message_arg;
	int verbose_fd;              /* -v: "Sink: <line>" for each line here; -1 for none */
};

/* Receives files over in_fd (the source's bytes) and out_fd (our answers) into o->target
 * until the source is done. Data lands in "<name>.ferry-partial-XXXXXX" next to the final
 * name and is renamed into place only once complete (a target that is not a regular file,
 * such as /dev/null, is written in place). Returns 0 when every file arrived; FERRY_EIO when
 * the transfer ran to its end but some item failed (each was reported); FERRY_EPROTO,
 * FERRY_ECLOSED or FERRY_ECANCELED when it stopped early (a refused line, a lost connection,
 * the peer gave up); FERRY_EINVAL for a bad target with -d (reported to the peer). */
int scp_fs_sink_run(int in_fd, int out_fd, const struct scp_fs_sink_opts *o) FERRY_MUST_USE;

struct scp_fs_source_opts {
	bool recursive;              /* -r: directories are sent with their contents */
	bool preserve;               /* -p: T lines with mtime and atime, modes as they are */
	scp_fs_message_fn message;
	void *message_arg;
	int verbose_fd;              /* -v: "Sending file modes: <line>" here; -1 for none */
};

/* Sends each of paths (followed if symlinks, as OpenSSH's scp follows them, also inside
 * directories) over out_fd, reading answers from in_fd. Non-regular files are skipped with a
 * "not a regular file" warning to the sink. Returns 0 when everything was sent, FERRY_EIO
 * when some item failed or was refused, FERRY_ECLOSED / FERRY_ECANCELED / FERRY_EPROTO when
 * the sink went away or gave up. */
int scp_fs_source_run(int in_fd, int out_fd, char *const *paths, size_t npaths,
		      const struct scp_fs_source_opts *o) FERRY_MUST_USE;

#endif
