/* The event loop's io_uring backend (liburing): READ/WRITE at the file position, POLL_ADD for
 * files opened O_NONBLOCK and for io_poll_readable, ASYNC_CANCEL; submissions batched until
 * the loop waits. */
#include "io/loop-internal.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define URING_ENTRIES 256u
#define URING_REAP_BATCH 64u
/* The SQE length field is 32 bits; longer transfers go in pieces (reads may be short anyway). */
#define URING_MAX_XFER (1u << 30)
/* user_data: an op index in the low 32 bits; these tags in the high bits. liburing keeps
 * all-ones for its own timeouts. */
#define UD_POLL (1ull << 32)
#define UD_CANCEL (1ull << 33)
/* io_loop_free waits this long for the kernel to let go of cancelled ops' buffers. */
#define URING_DRAIN_NS (5ull * 1000000000u)

struct uring_be {
	struct io_uring ring;
	uint32_t inflight;        /* ops with a request in the kernel */
	uint32_t cancel_backlog;  /* cancelled ops whose ASYNC_CANCEL found no free SQE */
};

static struct io_uring_sqe *uring_sqe(struct uring_be *be)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&be->ring);
	if (sqe == NULL) {
		/* The queue is full: hand it to the kernel now and take a fresh entry. No
		 * callback can run here; completions wait in the CQ ring. */
		(void)io_uring_submit(&be->ring);
		sqe = io_uring_get_sqe(&be->ring);
	}
	return sqe;
}

static uint64_t op_user_data(const struct io_op *op, uint32_t idx)
{
	return op->polling ? (UD_POLL | idx) : idx;
}

/* Queues the (next piece of the) transfer for op idx. */
static int uring_prep_io(struct io_loop *loop, uint32_t idx)
{
	struct uring_be *be = loop->be;
	struct io_op *op = &loop->op[idx];
	struct io_uring_sqe *sqe = uring_sqe(be);
	if (sqe == NULL)
		return FERRY_EIO;
	size_t n = op->len - op->done;
	if (n > URING_MAX_XFER)
		n = URING_MAX_XFER;
	/* Offset -1: use (and advance) the file position, like read(2) and write(2); streams
	 * ignore it. */
	if (op->kind == IO_OP_READ)
		io_uring_prep_read(sqe, op->fd, op->buf + op->done, (unsigned)n, (__u64)-1);
	else
		io_uring_prep_write(sqe, op->fd, op->buf + op->done, (unsigned)n, (__u64)-1);
	op->polling = false;
	sqe->user_data = op_user_data(op, idx);
	if (!op->in_kernel)
		be->inflight++;
	op->in_kernel = true;
	return 0;
}

/* A file the caller set O_NONBLOCK on, and that cannot do non-blocking attempts itself, gives
 * EAGAIN to io_uring too: wait for readiness with a poll and try again. A POLL op is only
 * this poll. */
static int uring_prep_poll(struct io_loop *loop, uint32_t idx)
{
	struct uring_be *be = loop->be;
	struct io_op *op = &loop->op[idx];
	struct io_uring_sqe *sqe = uring_sqe(be);
	if (sqe == NULL)
		return FERRY_EIO;
	io_uring_prep_poll_add(sqe, op->fd, op->kind == IO_OP_WRITE ? POLLOUT : POLLIN);
	op->polling = true;
	sqe->user_data = op_user_data(op, idx);
	if (!op->in_kernel)
		be->inflight++;
	op->in_kernel = true;
	return 0;
}

static bool uring_prep_cancel(struct uring_be *be, uint64_t target)
{
	struct io_uring_sqe *sqe = uring_sqe(be);
	if (sqe == NULL)
		return false;
	io_uring_prep_cancel64(sqe, target, 0);
	sqe->user_data = UD_CANCEL;
	return true;
}

static int uring_init(struct io_loop *loop, int *sys_errno)
{
	int rc = 0;
	struct io_uring_probe *probe = NULL;
	bool ring_up = false;
	struct uring_be *be = calloc(1, sizeof(*be));
	if (be == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	/* EPERM here covers kernel.io_uring_disabled (2, or 1 without the allowed group) and
	 * seccomp filters; ENOSYS a kernel built without io_uring. */
	int r = io_uring_queue_init(URING_ENTRIES, &be->ring, 0);
	if (r < 0) {
		*sys_errno = -r;
		rc = r == -ENOMEM ? FERRY_ENOMEM : FERRY_ENOTSUP;
		goto out;
	}
	ring_up = true;
	probe = io_uring_get_probe_ring(&be->ring);
	if (probe == NULL || !io_uring_opcode_supported(probe, IORING_OP_READ) ||
	    !io_uring_opcode_supported(probe, IORING_OP_WRITE) ||
	    !io_uring_opcode_supported(probe, IORING_OP_POLL_ADD) ||
	    !io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL)) {
		*sys_errno = EOPNOTSUPP;
		rc = FERRY_ENOTSUP;
		goto out;
	}
	loop->be = be;
	be = NULL;
out:
	if (probe != NULL)
		io_uring_free_probe(probe);
	if (be != NULL) {
		if (ring_up)
			io_uring_queue_exit(&be->ring);
		free(be);
	}
	return rc;
}

static int uring_start(struct io_loop *loop, uint32_t idx)
{
	if (loop->op[idx].kind == IO_OP_POLL)
		return uring_prep_poll(loop, idx);
	return uring_prep_io(loop, idx);
}

static void uring_cancel(struct io_loop *loop, uint32_t idx)
{
	struct uring_be *be = loop->be;
	struct io_op *op = &loop->op[idx];
	if (!op->in_kernel) {
		io_op_finish(loop, idx, FERRY_ECANCELED, ECANCELED);
		return;
	}
	/* The op stays ours until its own CQE says the kernel is done with the buffer; the
	 * callback runs then, so the caller may free the buffer in it. */
	if (!uring_prep_cancel(be, op_user_data(op, idx)))
		be->cancel_backlog++;
}

/* Retries ASYNC_CANCELs that found the SQ full. */
static void uring_cancel_backlog(struct io_loop *loop)
{
	struct uring_be *be = loop->be;
	if (be->cancel_backlog == 0)
		return;
	be->cancel_backlog = 0;
	for (uint32_t i = 0; i < loop->op_cap; i++) {
		struct io_op *op = &loop->op[i];
		if (op->state == IO_OP_ACTIVE && op->canceled && op->in_kernel &&
		    !uring_prep_cancel(be, op_user_data(op, i)))
			be->cancel_backlog++;
	}
}

static void uring_complete(struct io_loop *loop, uint64_t ud, int res)
{
	struct uring_be *be = loop->be;
	if (ud & UD_CANCEL)
		return;
	uint32_t idx = (uint32_t)ud;
	bool was_poll = (ud & UD_POLL) != 0;
	if (idx >= loop->op_cap)
		return;
	struct io_op *op = &loop->op[idx];
	if (op->state != IO_OP_ACTIVE || !op->in_kernel || op->polling != was_poll)
		return;
	op->in_kernel = false;
	op->polling = false;
	be->inflight--;

	if (op->canceled) {
		/* Cancelled, but the kernel may have finished first: keep a read's bytes (they
		 * are gone from the stream) and a write that went out in full. */
		if (!was_poll && op->kind == IO_OP_READ && res >= 0)
			io_op_finish(loop, idx, res, 0);
		else if (!was_poll && op->kind == IO_OP_WRITE && res >= 0 &&
			 op->done + (size_t)res == op->len)
			io_op_finish(loop, idx, (ssize_t)op->len, 0);
		else
			io_op_finish(loop, idx, FERRY_ECANCELED, ECANCELED);
		return;
	}

	int rc = 0;
	if (op->kind == IO_OP_POLL) {
		/* Any event (POLLIN, POLLHUP, POLLERR) is "go and look"; the kernel reports the
		 * mask in res. An interrupted poll is armed again. */
		if (res == -EINTR || res == -EAGAIN)
			rc = uring_prep_poll(loop, idx);
		else if (res < 0)
			io_op_finish(loop, idx, ferry_from_errno(-res), -res);
		else
			io_op_finish(loop, idx, 0, 0);
	} else if (was_poll) {
		/* Ready, or an error the transfer itself will report: try again. */
		if (res < 0 && res != -EINTR && res != -EAGAIN)
			io_op_finish(loop, idx, ferry_from_errno(-res), -res);
		else
			rc = uring_prep_io(loop, idx);
	} else if (res == -EAGAIN) {
		rc = uring_prep_poll(loop, idx);
	} else if (res == -EINTR) {
		rc = uring_prep_io(loop, idx);
	} else if (res < 0) {
		io_op_finish(loop, idx, ferry_from_errno(-res), -res);
	} else if (op->kind == IO_OP_READ) {
		io_op_finish(loop, idx, res, 0);
	} else if (res == 0) {
		/* A write that moves nothing would be retried for ever. */
		io_op_finish(loop, idx, FERRY_EIO, 0);
	} else {
		op->done += (size_t)res;
		if (op->done < op->len)
			rc = uring_prep_io(loop, idx); /* short write: queue the rest */
		else
			io_op_finish(loop, idx, (ssize_t)op->len, 0);
	}
	if (rc < 0) {
		if (op->in_kernel) {
			op->in_kernel = false;
			be->inflight--;
		}
		io_op_finish(loop, idx, rc, 0);
	}
}

/* Takes every CQE there is, in batches; the CQ ring is advanced before any op is handled,
 * since handling may queue new SQEs (never run callbacks). */
static int uring_reap(struct io_loop *loop, bool draining)
{
	struct uring_be *be = loop->be;
	int seen = 0;
	for (;;) {
		struct io_uring_cqe *cqes[URING_REAP_BATCH];
		uint64_t ud[URING_REAP_BATCH];
		int res[URING_REAP_BATCH];
		unsigned n = io_uring_peek_batch_cqe(&be->ring, cqes, URING_REAP_BATCH);
		if (n == 0)
			break;
		for (unsigned i = 0; i < n; i++) {
			ud[i] = cqes[i]->user_data;
			res[i] = cqes[i]->res;
		}
		io_uring_cq_advance(&be->ring, n);
		for (unsigned i = 0; i < n; i++) {
			if (!draining) {
				uring_complete(loop, ud[i], res[i]);
				continue;
			}
			/* Being freed: only note that the kernel let go. */
			uint32_t idx = (uint32_t)ud[i];
			if ((ud[i] & UD_CANCEL) || idx >= loop->op_cap)
				continue;
			struct io_op *op = &loop->op[idx];
			if (op->in_kernel && op->polling == ((ud[i] & UD_POLL) != 0)) {
				op->in_kernel = false;
				be->inflight--;
			}
		}
		seen += (int)n;
	}
	return seen;
}

static bool uring_transient(int r)
{
	return r == -ETIME || r == -EINTR || r == -EAGAIN || r == -EBUSY;
}

static int uring_wait(struct io_loop *loop, int64_t timeout_ns)
{
	struct uring_be *be = loop->be;
	struct io_uring_cqe *cqe = NULL;
	int r;

	uring_cancel_backlog(loop);
	if (timeout_ns == 0 || io_uring_cq_ready(&be->ring) > 0) {
		r = io_uring_submit(&be->ring);
	} else if (timeout_ns < 0) {
		r = io_uring_submit_and_wait(&be->ring, 1);
	} else {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_ns / 1000000000,
			.tv_nsec = timeout_ns % 1000000000,
		};
		r = io_uring_submit_and_wait_timeout(&be->ring, &cqe, 1, &ts, NULL);
	}
	if (r < 0 && !uring_transient(r))
		return ferry_from_errno(-r);
	uring_reap(loop, false);
	return 0;
}

static void uring_fini(struct io_loop *loop)
{
	struct uring_be *be = loop->be;
	if (be == NULL)
		return;
	/* Cancel everything still in the kernel and wait until it has let go of the callers'
	 * buffers: after io_loop_free returns the caller may free them. */
	for (uint32_t i = 0; i < loop->op_cap; i++) {
		struct io_op *op = &loop->op[i];
		if (op->in_kernel)
			(void)uring_prep_cancel(be, op_user_data(op, i));
	}
	uint64_t give_up = io_now_ns() + URING_DRAIN_NS;
	while (be->inflight > 0) {
		struct io_uring_cqe *cqe = NULL;
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };
		int r = io_uring_submit_and_wait_timeout(&be->ring, &cqe, 1, &ts, NULL);
		if (r < 0 && !uring_transient(r))
			break;
		uring_reap(loop, true);
		if (io_now_ns() > give_up)
			break;
	}
	if (be->inflight > 0)
		log_debug1("io: %u io_uring requests still in flight at exit", be->inflight);
	io_uring_queue_exit(&be->ring);
	free(be);
	loop->be = NULL;
}

static void uring_fini_after_fork(struct io_loop *loop)
{
	struct uring_be *be = loop->be;
	if (be == NULL)
		return;
	/* Unmaps the rings and closes this process's ring fd; nothing is submitted, so the
	 * parent's requests (same ring) are untouched. */
	io_uring_queue_exit(&be->ring);
	free(be);
	loop->be = NULL;
}

const struct io_backend_ops io_backend_uring = {
	.name = "uring",
	.init = uring_init,
	.fini = uring_fini,
	.fini_after_fork = uring_fini_after_fork,
	.start = uring_start,
	.cancel = uring_cancel,
	.wait = uring_wait,
};
