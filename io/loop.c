/* The event loop's common part: backend choice (FERRY_IO), op and fd bookkeeping, timers and
 * the dispatch of completions; the backends are io/loop-uring.c and io/loop-epoll.c. */
#include "io/loop-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

enum io_timer_state { IO_TIMER_FREE, IO_TIMER_ARMED, IO_TIMER_FIRING };

#define IO_OPS_INITIAL 64u
#define IO_OPS_MAX (1u << 24)
#define IO_FDS_INITIAL 64u
#define IO_TIMER_SLAB 32u

uint64_t io_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t io_now_ms(void)
{
	return io_now_ns() / 1000000u;
}

/* ---- op lists and the op table ---- */

void io_list_push(struct io_loop *loop, struct io_list *l, uint32_t idx)
{
	struct io_op *op = &loop->op[idx];
	op->next = IO_NIL;
	op->prev = l->tail;
	if (l->tail != IO_NIL)
		loop->op[l->tail].next = idx;
	else
		l->head = idx;
	l->tail = idx;
}

void io_list_remove(struct io_loop *loop, struct io_list *l, uint32_t idx)
{
	struct io_op *op = &loop->op[idx];
	if (op->prev != IO_NIL)
		loop->op[op->prev].next = op->next;
	else
		l->head = op->next;
	if (op->next != IO_NIL)
		loop->op[op->next].prev = op->prev;
	else
		l->tail = op->prev;
	op->prev = op->next = IO_NIL;
}

static uint32_t list_pop(struct io_loop *loop, struct io_list *l)
{
	uint32_t idx = l->head;
	if (idx != IO_NIL)
		io_list_remove(loop, l, idx);
	return idx;
}

/* Grows the op table; indices stay valid, pointers into the table do not. */
static int op_table_grow(struct io_loop *loop)
{
	uint32_t cap = loop->op_cap ? loop->op_cap * 2 : IO_OPS_INITIAL;
	if (cap > IO_OPS_MAX)
		return FERRY_ENOMEM;
	struct io_op *op = realloc(loop->op, (size_t)cap * sizeof(*op));
	if (op == NULL)
		return FERRY_ENOMEM;
	loop->op = op;
	for (uint32_t i = loop->op_cap; i < cap; i++) {
		memset(&op[i], 0, sizeof(op[i]));
		op[i].state = IO_OP_FREE;
		op[i].fd = -1;
		io_list_push(loop, &loop->free_ops, i);
	}
	loop->op_cap = cap;
	return 0;
}

static int op_alloc(struct io_loop *loop, uint32_t *out)
{
	int rc = 0;
	if (loop->free_ops.head == IO_NIL) {
		rc = op_table_grow(loop);
		if (rc < 0)
			goto out;
	}
	uint32_t idx = list_pop(loop, &loop->free_ops);
	loop->op_used++;
	*out = idx;
out:
	return rc;
}

static void op_release(struct io_loop *loop, uint32_t idx)
{
	struct io_op *op = &loop->op[idx];
	op->state = IO_OP_FREE;
	op->fd = -1;
	op->fn = NULL;
	op->arg = NULL;
	op->buf = NULL;
	io_list_push(loop, &loop->free_ops, idx);
	loop->op_used--;
}

void io_op_finish(struct io_loop *loop, uint32_t idx, ssize_t res, int sys_errno)
{
	struct io_op *op = &loop->op[idx];
	op->state = IO_OP_DONE;
	op->res = res;
	op->sys_errno = sys_errno;
	io_list_push(loop, &loop->done, idx);
}

/* ---- the fd table ---- */

struct io_fdslot *io_fdslot_get(const struct io_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->fd_cap)
		return NULL;
	return &loop->fds[fd];
}

static int fdslot_ensure(struct io_loop *loop, int fd, struct io_fdslot **out)
{
	int rc = 0;
	if ((size_t)fd >= loop->fd_cap) {
		size_t cap = loop->fd_cap ? loop->fd_cap : IO_FDS_INITIAL;
		while (cap <= (size_t)fd)
			cap *= 2;
		struct io_fdslot *fds = realloc(loop->fds, cap * sizeof(*fds));
		if (fds == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		for (size_t i = loop->fd_cap; i < cap; i++) {
			memset(&fds[i], 0, sizeof(fds[i]));
			fds[i].rd = fds[i].wr = IO_NIL;
			fds[i].kind = IO_FD_UNKNOWN;
		}
		loop->fds = fds;
		loop->fd_cap = cap;
	}
	*out = &loop->fds[fd];
out:
	return rc;
}

/* ---- creation and teardown ---- */

static int backend_init(struct io_loop *loop, const struct io_backend_ops *be, int *sys_errno)
{
	loop->ops = be;
	*sys_errno = 0;
	int rc = be->init(loop, sys_errno);
	if (rc < 0)
		loop->ops = NULL;
	return rc;
}

int io_loop_new(enum io_backend backend, struct io_loop **out)
{
	int rc = 0, sys_errno = 0;
	bool from_env = false;
	struct io_loop *loop = NULL;

	if (out == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	if (backend == IO_BACKEND_AUTO) {
		const char *env = getenv("FERRY_IO");
		/* An empty FERRY_IO is the same as an unset one. */
		if (env != NULL && env[0] != '\0') {
			from_env = true;
			if (strcmp(env, "uring") == 0) {
				backend = IO_BACKEND_URING;
			} else if (strcmp(env, "epoll") == 0) {
				backend = IO_BACKEND_EPOLL;
			} else {
				log_error("FERRY_IO=%s: expected \"uring\" or \"epoll\"", env);
				rc = FERRY_EINVAL;
				goto out;
			}
		}
	} else if (backend != IO_BACKEND_URING && backend != IO_BACKEND_EPOLL) {
		rc = FERRY_EINVAL;
		goto out;
	}

	loop = calloc(1, sizeof(*loop));
	if (loop == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	loop->free_ops.head = loop->free_ops.tail = IO_NIL;
	loop->done.head = loop->done.tail = IO_NIL;
	rc = op_table_grow(loop);
	if (rc < 0)
		goto out;

	switch (backend) {
	case IO_BACKEND_URING:
		rc = backend_init(loop, &io_backend_uring, &sys_errno);
		if (rc < 0) {
			/* Asked for by name: say why it cannot be had. */
			flog(from_env ? FLOG_ERROR : FLOG_DEBUG1, "io_uring unavailable: %s",
			     sys_errno ? strerror(sys_errno) : ferry_strerror(rc));
			rc = FERRY_ENOTSUP;
		}
		break;
	case IO_BACKEND_EPOLL:
		rc = backend_init(loop, &io_backend_epoll, &sys_errno);
		break;
	default:
		/* Unset FERRY_IO: io_uring if the kernel lets us have it. A kernel without it
		 * (ENOSYS), kernel.io_uring_disabled or a seccomp filter (EPERM), or a locked-memory
		 * limit all mean the same thing here: use epoll. */
		rc = backend_init(loop, &io_backend_uring, &sys_errno);
		if (rc < 0) {
			log_debug1("io: io_uring unavailable (%s), using epoll",
				   sys_errno ? strerror(sys_errno) : ferry_strerror(rc));
			rc = backend_init(loop, &io_backend_epoll, &sys_errno);
		}
		break;
	}
	if (rc < 0)
		goto out;
	log_debug2("io: event loop backend %s", loop->ops->name);
	*out = loop;
	loop = NULL;
out:
	if (loop != NULL) {
		free(loop->op);
		free(loop);
	}
	return rc;
}

static void loop_free_memory(struct io_loop *loop)
{
	free(loop->op);
	free(loop->fds);
	free(loop->heap);
	for (size_t i = 0; i < loop->n_slabs; i++)
		free(loop->timer_slabs[i]);
	free(loop->timer_slabs);
	free(loop);
}

void io_loop_free(struct io_loop *loop)
{
	if (loop == NULL)
		return;
	/* The backend waits for the kernel to let go of every buffer before it returns, so no
	 * caller memory is touched after this; no callbacks run. */
	loop->ops->fini(loop);
	loop_free_memory(loop);
}

void io_loop_free_after_fork(struct io_loop *loop)
{
	if (loop == NULL)
		return;
	/* The kernel objects (ring, epoll set) and the open files behind the fds are shared
	 * with the parent: only this process's references and memory go. */
	loop->ops->fini_after_fork(loop);
	loop_free_memory(loop);
}

const char *io_loop_backend_name(const struct io_loop *loop)
{
	return loop->ops->name;
}

/* ---- reads and writes ---- */

static int op_begin(struct io_loop *loop, int fd, enum io_op_kind kind, void *buf, size_t len,
		    io_done_fn fn, void *arg)
{
	int rc = 0;
	struct io_fdslot *slot;
	uint32_t idx;

	if (loop == NULL || fd < 0 || fn == NULL || (buf == NULL && len > 0) ||
	    len > (size_t)SSIZE_MAX || (kind == IO_OP_READ && len == 0) ||
	    (kind == IO_OP_POLL && (buf != NULL || len != 0))) {
		rc = FERRY_EINVAL;
		goto out;
	}
	rc = fdslot_ensure(loop, fd, &slot);
	if (rc < 0)
		goto out;
	/* A poll counts as the fd's read: both wait for the same readiness. */
	if ((kind == IO_OP_WRITE ? slot->wr : slot->rd) != IO_NIL) {
		rc = FERRY_EBUSY;
		goto out;
	}
	rc = op_alloc(loop, &idx);
	if (rc < 0)
		goto out;
	struct io_op *op = &loop->op[idx];
	op->fd = fd;
	op->kind = (uint8_t)kind;
	op->state = IO_OP_ACTIVE;
	op->canceled = false;
	op->on_start = false;
	op->in_kernel = false;
	op->polling = false;
	op->buf = buf;
	op->len = len;
	op->done = 0;
	op->fn = fn;
	op->arg = arg;
	op->res = 0;
	op->sys_errno = 0;
	if (kind == IO_OP_WRITE)
		slot->wr = idx;
	else
		slot->rd = idx;

	if (kind == IO_OP_WRITE && len == 0) {
		/* A write of nothing is complete already; it still reports from the loop. */
		io_op_finish(loop, idx, 0, 0);
		goto out;
	}
	rc = loop->ops->start(loop, idx);
	if (rc < 0) {
		if (kind == IO_OP_WRITE)
			slot->wr = IO_NIL;
		else
			slot->rd = IO_NIL;
		op_release(loop, idx);
	}
out:
	return rc;
}

int io_read(struct io_loop *loop, int fd, void *buf, size_t len, io_done_fn done, void *arg)
{
	return op_begin(loop, fd, IO_OP_READ, buf, len, done, arg);
}

int io_write(struct io_loop *loop, int fd, const void *buf, size_t len, io_done_fn done,
	     void *arg)
{
	/* The buffer is only ever read from; the op record has one pointer type for both. */
	return op_begin(loop, fd, IO_OP_WRITE, (void *)(uintptr_t)buf, len, done, arg);
}

int io_poll_readable(struct io_loop *loop, int fd, io_done_fn done, void *arg)
{
	return op_begin(loop, fd, IO_OP_POLL, NULL, 0, done, arg);
}

void io_cancel_fd(struct io_loop *loop, int fd)
{
	if (loop == NULL)
		return;
	struct io_fdslot *slot = io_fdslot_get(loop, fd);
	if (slot == NULL)
		return;
	uint32_t ids[2] = { slot->rd, slot->wr };
	for (int i = 0; i < 2; i++) {
		if (ids[i] == IO_NIL)
			continue;
		struct io_op *op = &loop->op[ids[i]];
		/* An op already DONE keeps its result; one cancelled before is on its way. */
		if (op->state != IO_OP_ACTIVE || op->canceled)
			continue;
		op->canceled = true;
		loop->ops->cancel(loop, ids[i]);
	}
}

bool io_read_pending(const struct io_loop *loop, int fd)
{
	const struct io_fdslot *slot = loop ? io_fdslot_get(loop, fd) : NULL;
	return slot != NULL && slot->rd != IO_NIL;
}

bool io_write_pending(const struct io_loop *loop, int fd)
{
	const struct io_fdslot *slot = loop ? io_fdslot_get(loop, fd) : NULL;
	return slot != NULL && slot->wr != IO_NIL;
}

/* Runs the callbacks of finished ops. Each op is taken off its fd and freed before its
 * callback runs, so the callback may start the next op on that fd, cancel others, or free
 * whatever owns the fd. Returns how many callbacks ran. */
static int dispatch_done(struct io_loop *loop)
{
	int ran = 0;
	uint32_t idx;
	while ((idx = list_pop(loop, &loop->done)) != IO_NIL) {
		struct io_op *op = &loop->op[idx];
		io_done_fn fn = op->fn;
		void *arg = op->arg;
		ssize_t res = op->res;
		int sys_errno = op->sys_errno;
		struct io_fdslot *slot = &loop->fds[op->fd];
		if (op->kind == IO_OP_WRITE)
			slot->wr = IO_NIL;
		else
			slot->rd = IO_NIL;
		/* An idle fd may be closed and its number reused before the next op: the epoll
		 * backend checks it again then. */
		if (slot->rd == IO_NIL && slot->wr == IO_NIL)
			slot->verified = false;
		op_release(loop, idx);
		fn(arg, res, sys_errno);
		ran++;
	}
	return ran;
}

/* ---- timers: a binary min-heap on (deadline, start order) ---- */

static bool timer_before(const struct io_timer *a, const struct io_timer *b)
{
	return a->deadline_ns < b->deadline_ns ||
	       (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

static void heap_set(struct io_loop *loop, size_t i, struct io_timer *t)
{
	loop->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct io_loop *loop, size_t i)
{
	struct io_timer *t = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_down(struct io_loop *loop, size_t i)
{
	struct io_timer *t = loop->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= loop->heap_len)
			break;
		if (c + 1 < loop->heap_len && timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], t))
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

static void heap_remove(struct io_loop *loop, size_t i)
{
	struct io_timer *last = loop->heap[--loop->heap_len];
	if (i == loop->heap_len)
		return;
	heap_set(loop, i, last);
	if (i > 0 && timer_before(last, loop->heap[(i - 1) / 2]))
		heap_up(loop, i);
	else
		heap_down(loop, i);
}

/* Timer records come from slabs so their addresses stay put while the caller holds them. */
static int timer_alloc(struct io_loop *loop, struct io_timer **out)
{
	int rc = 0;
	if (loop->timer_free == NULL) {
		struct io_timer **slabs = realloc(loop->timer_slabs,
						  (loop->n_slabs + 1) * sizeof(*slabs));
		if (slabs == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		loop->timer_slabs = slabs;
		struct io_timer *slab = calloc(IO_TIMER_SLAB, sizeof(*slab));
		if (slab == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		slabs[loop->n_slabs++] = slab;
		for (size_t i = 0; i < IO_TIMER_SLAB; i++) {
			slab[i].state = IO_TIMER_FREE;
			slab[i].next_free = loop->timer_free;
			loop->timer_free = &slab[i];
		}
	}
	*out = loop->timer_free;
	loop->timer_free = (*out)->next_free;
out:
	return rc;
}

static void timer_release(struct io_loop *loop, struct io_timer *t)
{
	t->state = IO_TIMER_FREE;
	t->fn = NULL;
	t->arg = NULL;
	t->next_free = loop->timer_free;
	loop->timer_free = t;
}

int io_timer_start(struct io_loop *loop, uint64_t ms, io_timer_fn fn, void *arg,
		   struct io_timer **out)
{
	int rc = 0;
	struct io_timer *t = NULL;

	if (loop == NULL || fn == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
		struct io_timer **heap = realloc(loop->heap, cap * sizeof(*heap));
		if (heap == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		loop->heap = heap;
		loop->heap_cap = cap;
	}
	rc = timer_alloc(loop, &t);
	if (rc < 0)
		goto out;
	uint64_t now = io_now_ns();
	uint64_t delta = ms > (UINT64_MAX - now) / 1000000u ? UINT64_MAX - now : ms * 1000000u;
	t->deadline_ns = now + delta;
	t->seq = loop->timer_seq++;
	t->fn = fn;
	t->arg = arg;
	t->state = IO_TIMER_ARMED;
	loop->heap_len++;
	heap_set(loop, loop->heap_len - 1, t);
	heap_up(loop, loop->heap_len - 1);
	if (out != NULL)
		*out = t;
out:
	return rc;
}

void io_timer_cancel(struct io_loop *loop, struct io_timer *timer)
{
	if (loop == NULL || timer == NULL)
		return;
	/* A timer whose callback is running now (it may cancel itself) is released after it. */
	if (timer->state != IO_TIMER_ARMED)
		return;
	heap_remove(loop, timer->heap_idx);
	timer_release(loop, timer);
}

/* Fires the timers that are due. Timers started by these callbacks wait for the next round,
 * so a callback that re-arms a zero timer cannot keep this call going forever. */
static int fire_timers(struct io_loop *loop)
{
	int ran = 0;
	uint64_t now = io_now_ns();
	uint64_t seq_limit = loop->timer_seq;
	while (loop->heap_len > 0) {
		struct io_timer *t = loop->heap[0];
		if (t->deadline_ns > now || t->seq >= seq_limit)
			break;
		heap_remove(loop, 0);
		t->state = IO_TIMER_FIRING;
		t->fn(t->arg);
		timer_release(loop, t);
		ran++;
	}
	return ran;
}

/* ---- running ---- */

int io_loop_run_once(struct io_loop *loop, int timeout_ms)
{
	int rc = 0;
	bool waited = false;

	if (loop == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	if (loop->op_used == 0 && loop->heap_len == 0) {
		rc = FERRY_ENOENT;
		goto out;
	}
	uint64_t start = io_now_ns();
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		if (dispatch_done(loop) + fire_timers(loop) > 0)
			break;
		uint64_t now = io_now_ns();
		if (waited && now >= deadline)
			break;
		int64_t wait_ns = -1;
		if (loop->done.head != IO_NIL) {
			wait_ns = 0;
		} else {
			if (loop->heap_len > 0) {
				uint64_t d = loop->heap[0]->deadline_ns;
				wait_ns = d > now ? (int64_t)(d - now) : 0;
			}
			if (deadline != UINT64_MAX) {
				uint64_t rem = deadline > now ? deadline - now : 0;
				if (wait_ns < 0 || (uint64_t)wait_ns > rem)
					wait_ns = (int64_t)rem;
			}
		}
		rc = loop->ops->wait(loop, wait_ns);
		if (rc < 0)
			goto out;
		waited = true;
	}
out:
	return rc;
}

int io_loop_run(struct io_loop *loop)
{
	int rc = 0;
	if (loop == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	loop->stop = false;
	while (!loop->stop) {
		rc = io_loop_run_once(loop, -1);
		if (rc == FERRY_ENOENT) {
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
	}
	loop->stop = false;
out:
	return rc;
}

void io_loop_stop(struct io_loop *loop)
{
	if (loop != NULL)
		loop->stop = true;
}
