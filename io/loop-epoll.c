/* The event loop's epoll backend: edge-triggered readiness and non-blocking read/write (or
 * recv/send), and readiness polls, for kernels where io_uring is unavailable or disabled. */
#include "io/loop-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define EPOLL_BATCH 64
/* Every registration asks for both directions, edge-triggered: an edge is only waited for
 * after a transfer said EAGAIN, so none is missed, and an idle fd costs no wake-ups from
 * level-triggered readiness that nobody wants. */
#define EPOLL_MASK (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

struct epoll_be {
	int epfd;
	struct io_list start;   /* new ops, tried at the next wait */
};

static int epoll_ctl_fd(struct epoll_be *be, int op, int fd)
{
	struct epoll_event ev = { .events = EPOLL_MASK, .data.fd = fd };
	return epoll_ctl(be->epfd, op, fd, &ev);
}

/* Looks at what fd is now and sets the slot up for it. Returns 0 or a negative errno. */
static int fd_classify(struct epoll_be *be, struct io_fdslot *slot, int fd)
{
	struct stat st;
	if (slot->flags_changed)
		log_debug2("io: fd %d was replaced; not restoring its old flags", fd);
	slot->flags_changed = false;
	slot->kind = IO_FD_UNKNOWN;
	slot->verified = false;
	if (fstat(fd, &st) < 0)
		return -errno;
	slot->dev = st.st_dev;
	slot->ino = st.st_ino;
	if (S_ISSOCK(st.st_mode)) {
		/* recv/send with MSG_DONTWAIT: the socket's own flags are left alone; it is
		 * registered the first time a transfer says EAGAIN. */
		slot->kind = IO_FD_SOCKET;
		return 0;
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		slot->kind = IO_FD_ALWAYS;
		slot->verified = true;
		return 0;
	}
	if (epoll_ctl_fd(be, EPOLL_CTL_ADD, fd) < 0 && errno != EEXIST) {
		/* EPERM: a file epoll cannot watch (/dev/null, /dev/zero): it never blocks. */
		if (errno != EPERM)
			return -errno;
		slot->kind = IO_FD_ALWAYS;
		slot->verified = true;
		return 0;
	}
	/* A pipe or terminal: a plain read() on it would block the whole loop, so make it
	 * non-blocking and remember to put the flags back in io_loop_free. */
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (!(flags & O_NONBLOCK)) {
		if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
			return -errno;
		slot->orig_flags = flags;
		slot->flags_changed = true;
	}
	slot->kind = IO_FD_POLLABLE;
	slot->verified = true;
	return 0;
}

/* Makes sure the slot still describes the file at fd: an fd that went idle may have been
 * closed and its number reused. Returns 0 or a negative errno. */
static int fd_verify(struct epoll_be *be, struct io_fdslot *slot, int fd)
{
	struct stat st;
	if (slot->verified)
		return 0;
	switch (slot->kind) {
	case IO_FD_SOCKET:
		/* Checked lazily: send/recv fail with ENOTSOCK on a non-socket, and the epoll
		 * registration is checked before waiting. */
		return 0;
	case IO_FD_POLLABLE:
		/* epoll keys its entries on (file, fd): ENOENT means fd now names another file. */
		if (epoll_ctl_fd(be, EPOLL_CTL_MOD, fd) == 0) {
			slot->verified = true;
			return 0;
		}
		if (errno != ENOENT)
			return -errno;
		break;
	case IO_FD_ALWAYS:
		if (fstat(fd, &st) < 0)
			return -errno;
		if (st.st_dev == slot->dev && st.st_ino == slot->ino) {
			slot->verified = true;
			return 0;
		}
		break;
	default:
		break;
	}
	return fd_classify(be, slot, fd);
}

/* A socket is about to wait for an edge: make sure it is registered. */
static int fd_arm_socket(struct epoll_be *be, struct io_fdslot *slot, int fd)
{
	if (slot->verified)
		return 0;
	if (epoll_ctl_fd(be, EPOLL_CTL_MOD, fd) < 0) {
		if (errno != ENOENT)
			return -errno;
		if (epoll_ctl_fd(be, EPOLL_CTL_ADD, fd) < 0)
			return -errno;
	}
	slot->verified = true;
	return 0;
}

/* A poll op: registers fd, then looks. Readiness that arrives after the look is an edge the
 * next epoll_wait reports; the look itself (poll with no wait) keeps a stale or spurious event
 * from being reported as readiness. */
static void epoll_poll_attempt(struct io_loop *loop, uint32_t idx)
{
	struct epoll_be *be = loop->be;
	struct io_op *op = &loop->op[idx];
	int fd = op->fd;
	struct io_fdslot *slot = &loop->fds[fd];
	int err = 0;

	if (epoll_ctl_fd(be, EPOLL_CTL_MOD, fd) < 0) {
		if (errno != ENOENT) {
			err = errno;
		} else {
			/* Not registered as this file: whatever the slot said about an earlier file at
			 * this number is stale; a later read classifies the file afresh. */
			if (slot->kind != IO_FD_UNKNOWN)
				log_debug2("io: fd %d now names another file", fd);
			slot->kind = IO_FD_UNKNOWN;
			slot->verified = false;
			slot->flags_changed = false;
			if (epoll_ctl_fd(be, EPOLL_CTL_ADD, fd) < 0)
				err = errno;
		}
	}
	if (err == EPERM) {
		/* A file epoll cannot watch (regular file, /dev/null) never blocks a read. */
		io_op_finish(loop, idx, 0, 0);
		return;
	}
	if (err != 0) {
		io_op_finish(loop, idx, ferry_from_errno(err), err);
		return;
	}
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;
	do
		n = poll(&pfd, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		io_op_finish(loop, idx, ferry_from_errno(errno), errno);
		return;
	}
	if (n > 0 && (pfd.revents & POLLNVAL)) {
		io_op_finish(loop, idx, ferry_from_errno(EBADF), EBADF);
		return;
	}
	if (n > 0)
		io_op_finish(loop, idx, 0, 0);
	/* else: wait for the edge */
}

/* Moves op idx as far as the file allows without blocking; finishes it when done. */
static void epoll_attempt(struct io_loop *loop, uint32_t idx)
{
	struct epoll_be *be = loop->be;
	struct io_op *op = &loop->op[idx];
	if (op->kind == IO_OP_POLL) {
		epoll_poll_attempt(loop, idx);
		return;
	}
	int fd = op->fd;
	struct io_fdslot *slot = &loop->fds[fd];
	int err = fd_verify(be, slot, fd);
	bool reclassified = false;

	while (err == 0) {
		ssize_t r;
		size_t n = op->len - op->done;
		if (op->kind == IO_OP_READ) {
			r = slot->kind == IO_FD_SOCKET ? recv(fd, op->buf, n, MSG_DONTWAIT)
						       : read(fd, op->buf, n);
			if (r >= 0) {
				io_op_finish(loop, idx, r, 0);
				return;
			}
		} else {
			/* MSG_NOSIGNAL: a closed socket is an EPIPE result, not a signal. */
			r = slot->kind == IO_FD_SOCKET
				    ? send(fd, op->buf + op->done, n, MSG_DONTWAIT | MSG_NOSIGNAL)
				    : write(fd, op->buf + op->done, n);
			if (r > 0) {
				op->done += (size_t)r;
				if (op->done == op->len) {
					io_op_finish(loop, idx, (ssize_t)op->len, 0);
					return;
				}
				continue; /* short write: go on until EAGAIN */
			}
			if (r == 0) {
				io_op_finish(loop, idx, FERRY_EIO, 0);
				return;
			}
		}
		if (errno == EINTR)
			continue;
		if (errno == ENOTSOCK && slot->kind == IO_FD_SOCKET && !reclassified) {
			reclassified = true;
			err = fd_classify(be, slot, fd);
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			err = -errno;
			break;
		}
		if (slot->kind == IO_FD_SOCKET) {
			err = fd_arm_socket(be, slot, fd);
			if (err == 0)
				return; /* wait for the edge */
			break;
		}
		if (slot->kind == IO_FD_POLLABLE)
			return;
		/* A file epoll refuses but that says EAGAIN would never be woken for. */
		err = -EAGAIN;
		break;
	}
	io_op_finish(loop, idx, ferry_from_errno(-err), -err);
}

static int epoll_init(struct io_loop *loop, int *sys_errno)
{
	int rc = 0;
	struct epoll_be *be = calloc(1, sizeof(*be));
	if (be == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	be->start.head = be->start.tail = IO_NIL;
	be->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (be->epfd < 0) {
		*sys_errno = errno;
		rc = ferry_from_errno(errno);
		goto out;
	}
	loop->be = be;
	be = NULL;
out:
	free(be);
	return rc;
}

static int epoll_start(struct io_loop *loop, uint32_t idx)
{
	struct epoll_be *be = loop->be;
	/* Tried at the next wait, not here: a callback must never run, or an op complete,
	 * inside the call that started it, and this keeps all syscalls in one place. */
	loop->op[idx].on_start = true;
	io_list_push(loop, &be->start, idx);
	return 0;
}

static void epoll_cancel(struct io_loop *loop, uint32_t idx)
{
	struct epoll_be *be = loop->be;
	struct io_op *op = &loop->op[idx];
	/* Nothing is in the kernel's hands here: the op ends now, its callback runs later. */
	if (op->on_start) {
		io_list_remove(loop, &be->start, idx);
		op->on_start = false;
	}
	io_op_finish(loop, idx, FERRY_ECANCELED, ECANCELED);
}

static int epoll_wait_ns(struct io_loop *loop, int64_t timeout_ns)
{
	struct epoll_be *be = loop->be;
	struct epoll_event ev[EPOLL_BATCH];
	uint32_t idx;

	while ((idx = be->start.head) != IO_NIL) {
		io_list_remove(loop, &be->start, idx);
		loop->op[idx].on_start = false;
		epoll_attempt(loop, idx);
	}

	int ms;
	if (loop->done.head != IO_NIL || timeout_ns == 0)
		ms = 0;
	else if (timeout_ns < 0)
		ms = -1;
	else if (timeout_ns / 1000000 >= INT_MAX)
		ms = INT_MAX;
	else
		ms = (int)((timeout_ns + 999999) / 1000000); /* round up: never wake early */

	int n = epoll_wait(be->epfd, ev, EPOLL_BATCH, ms);
	if (n < 0)
		return errno == EINTR ? 0 : ferry_from_errno(errno);
	for (int i = 0; i < n; i++) {
		struct io_fdslot *slot = io_fdslot_get(loop, ev[i].data.fd);
		if (slot == NULL)
			continue;
		uint32_t e = ev[i].events;
		/* Errors and hang-ups wake both directions; the transfer reports what happened. */
		if ((e & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) && slot->rd != IO_NIL &&
		    loop->op[slot->rd].state == IO_OP_ACTIVE)
			epoll_attempt(loop, slot->rd);
		if ((e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && slot->wr != IO_NIL &&
		    loop->op[slot->wr].state == IO_OP_ACTIVE)
			epoll_attempt(loop, slot->wr);
	}
	return 0;
}

static void epoll_fini(struct io_loop *loop)
{
	struct epoll_be *be = loop->be;
	if (be == NULL)
		return;
	/* Put back the flags of the files we made non-blocking, if fd still names that file
	 * (a terminal shared with the shell must not stay non-blocking after we are gone). */
	for (size_t fd = 0; fd < loop->fd_cap; fd++) {
		struct io_fdslot *slot = &loop->fds[fd];
		struct stat st;
		if (!slot->flags_changed)
			continue;
		if (fstat((int)fd, &st) < 0 || st.st_dev != slot->dev || st.st_ino != slot->ino)
			continue;
		int flags = fcntl((int)fd, F_GETFL);
		if (flags >= 0 && (flags & O_NONBLOCK) && !(slot->orig_flags & O_NONBLOCK))
			(void)fcntl((int)fd, F_SETFL, flags & ~O_NONBLOCK);
		slot->flags_changed = false;
	}
	close(be->epfd);
	free(be);
	loop->be = NULL;
}

static void epoll_fini_after_fork(struct io_loop *loop)
{
	struct epoll_be *be = loop->be;
	if (be == NULL)
		return;
	/* The files' flags are shared with the parent through their open file descriptions:
	 * leave them. Closing our epoll fd leaves the parent's (same epoll set) registered. */
	close(be->epfd);
	free(be);
	loop->be = NULL;
}

const struct io_backend_ops io_backend_epoll = {
	.name = "epoll",
	.init = epoll_init,
	.fini = epoll_fini,
	.fini_after_fork = epoll_fini_after_fork,
	.start = epoll_start,
	.cancel = epoll_cancel,
	.wait = epoll_wait_ns,
};
