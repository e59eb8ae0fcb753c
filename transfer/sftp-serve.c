/* The blocking SFTP serving loop (draft-ietf-secsh-filexfer-02): poll, read, parse (proto/),
 * execute (transfer/sftp-fs), write; pipelined requests are answered in order of arrival. */
#include "transfer/sftp-serve.h"

#include "common/log.h"
#include "proto/sftp-server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* Stop taking requests while this much reply data waits to be written: 64 pipelined reads of
 * 256 KiB fit, and memory stays bounded whatever the client sends. */
#define OUTPUT_HIGH (17u * 1024 * 1024)
/* The least a read asks room for. */
#define READ_MIN (64u * 1024)

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int sftp_serve_fds(int in_fd, int out_fd, const struct sftp_fs_options *opts)
{
	struct sftp_server_config cfg = { .max_packet = SFTP_MAX_PACKET, .check_file = true };
	struct sftp_server *srv = NULL;
	struct sftp_fs *fs = NULL;
	struct sftp_request req;
	bool eof = false, failed = false;
	int r;

	if ((r = sftp_fs_new(opts, &fs)) != 0)
		goto out;
	cfg.hidden_ops = sftp_fs_hidden_ops(fs);
	if ((r = sftp_server_new(&cfg, &srv)) != 0)
		goto out;
	/* Non-blocking, as OpenSSH's sftp-server makes them: a write takes what the pipe has
	 * room for, so a client still busy sending requests never deadlocks with us. */
	set_nonblock(in_fd);
	set_nonblock(out_fd);
	for (;;) {
		/* Answer what is buffered, in order, until the replies back up. */
		while (!failed && sftp_server_output_len(srv) < OUTPUT_HIGH) {
			int nr = sftp_server_next_request(srv, &req);
			if (nr == FERRY_EAGAIN)
				break;
			if (nr != 0) {
				const char *why = sftp_server_error(srv);
				log_error("sftp session ended: %s", why ? why : ferry_strerror(nr));
				failed = true;
				r = nr;
				break;
			}
			if ((nr = sftp_fs_execute(fs, srv, &req)) != 0) {
				log_error("sftp session ended: %s", ferry_strerror(nr));
				failed = true;
				r = nr;
				break;
			}
		}
		size_t pending = sftp_server_output_len(srv);
		bool want_in = !eof && !failed && pending < OUTPUT_HIGH;
		uint8_t *space = NULL;
		size_t room = 0;
		if (want_in && sftp_server_input_space(srv, READ_MIN, &space, &room) != 0)
			want_in = false;   /* full of whole requests: they go first */
		if (!want_in && pending == 0) {
			if (eof || failed)
				break;
			continue;          /* room appears once the requests above are answered */
		}
		struct pollfd pfd[2];
		nfds_t n = 0;
		int in_slot = -1, out_slot = -1;
		if (want_in) {
			pfd[n] = (struct pollfd){ .fd = in_fd, .events = POLLIN };
			in_slot = (int)n++;
		}
		if (pending > 0) {
			pfd[n] = (struct pollfd){ .fd = out_fd, .events = POLLOUT };
			out_slot = (int)n++;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = ferry_from_errno(errno);
			goto out;
		}
		if (out_slot >= 0 && pfd[out_slot].revents) {
			ssize_t w = write(out_fd, sftp_server_output_ptr(srv), pending);
			if (w < 0 && errno != EINTR && errno != EAGAIN) {
				if (errno != EPIPE)
					log_error("sftp: write: %s", strerror(errno));
				r = FERRY_ECLOSED;
				goto out;
			}
			if (w > 0)
				sftp_server_output_consume(srv, (size_t)w);
		}
		if (in_slot >= 0 && pfd[in_slot].revents) {
			ssize_t got = read(in_fd, space, room);
			if (got < 0 && errno != EINTR && errno != EAGAIN) {
				log_error("sftp: read: %s", strerror(errno));
				r = ferry_from_errno(errno);
				goto out;
			}
			if (got == 0)
				eof = true;
			if (got > 0)
				sftp_server_input_commit(srv, (size_t)got);
		}
	}
	if (!failed)
		r = 0;
out:
	sftp_fs_free(fs);
	sftp_server_free(srv);
	return r;
}
