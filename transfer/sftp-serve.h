/* Serving one SFTP session (draft-ietf-secsh-filexfer-02, version 3) on a pair of file
 * descriptors: the loop that reads requests, has transfer/sftp-fs carry them out and writes
 * the replies. Used by `ferry sftp-server` and by ferryd's built-in sftp subsystem. */
#ifndef FERRY_TRANSFER_SFTP_SERVE_H
#define FERRY_TRANSFER_SFTP_SERVE_H

#include "common/error.h"
#include "transfer/sftp-fs.h"

/* Serves SFTP: reads requests from in_fd and writes replies to out_fd (the same fd is fine,
 * e.g. a socket) until the client closes in_fd. One process per session: it sets O_NONBLOCK
 * on both fds (as OpenSSH's sftp-server does; the flag stays), waits in poll(2), takes
 * requests off while fewer than a few MiB of replies wait, and so keeps many pipelined
 * requests moving without holding unbounded output. opts is as for sftp_fs_new (its umask and RLIMIT_NOFILE
 * changes are process-wide). Neither fd is closed.
 * Returns 0 when the client ended the session (EOF on in_fd, the replies to every whole
 * request written), FERRY_EPROTO when it broke the protocol (a packet over the advertised
 * length, a request before INIT; logged), FERRY_ECLOSED when out_fd stopped taking replies,
 * or another FERRY_E* (setup failed, e.g. FERRY_ENOTSUP for a jail without openat2). */
int sftp_serve_fds(int in_fd, int out_fd, const struct sftp_fs_options *opts) FERRY_MUST_USE;

#endif
