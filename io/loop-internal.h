/* The event loop's private parts shared by io/loop.c and its two backends (io_uring, epoll). */
#ifndef FERRY_IO_LOOP_INTERNAL_H
#define FERRY_IO_LOOP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "io/loop.h"

/* Op records live in one table inside the loop and are named by index, so the table may grow
 * (realloc) and the kernel's user_data never points at memory the caller owns. */
#define IO_NIL UINT32_MAX

/* A POLL op waits for readability and moves no data; it takes the fd's read slot. */
enum io_op_kind { IO_OP_READ, IO_OP_WRITE, IO_OP_POLL };

enum io_op_state {
	IO_OP_FREE,    /* on the free list */
	IO_OP_ACTIVE,  /* owned by the backend (queued to start, waiting, or in the kernel) */
	IO_OP_DONE,    /* result known; on the done queue until its callback runs */
};

struct io_op {
	uint32_t prev, next;   /* links for whichever list the op is on (free, start, done) */
	int fd;
	uint8_t kind;          /* enum io_op_kind */
	uint8_t state;         /* enum io_op_state */
	bool canceled;         /* io_cancel_fd asked for it; report FERRY_ECANCELED */
	bool on_start;         /* epoll: on the start list */
	bool in_kernel;        /* uring: an SQE for it was prepared and its CQE not yet seen */
	bool polling;          /* uring: waiting on a POLL_ADD after the file said EAGAIN */
	uint8_t *buf;
	size_t len;
	size_t done;           /* bytes transferred so far (writes complete at len) */
	io_done_fn fn;
	void *arg;
	ssize_t res;           /* the result once DONE */
	int sys_errno;
};

/* A doubly linked list of op indices. */
struct io_list {
	uint32_t head, tail;
};

/* What the loop knows about one file descriptor. */
enum io_fd_kind {
	IO_FD_UNKNOWN,   /* not looked at yet (or looked at for a file since closed) */
	IO_FD_SOCKET,    /* epoll: recv/send with MSG_DONTWAIT, flags left alone */
	IO_FD_POLLABLE,  /* epoll: a pipe, terminal or other character device epoll accepts */
	IO_FD_ALWAYS,    /* epoll refuses it (regular file, /dev/null): always ready, plain I/O */
};

struct io_fdslot {
	uint32_t rd, wr;       /* outstanding op indices, IO_NIL for none */
	/* The epoll backend's per-fd state; unused by uring. */
	uint8_t kind;          /* enum io_fd_kind */
	bool verified;         /* checked to still be the same file since it was last idle */
	bool flags_changed;    /* we set O_NONBLOCK; orig_flags to be restored at free */
	int orig_flags;
	dev_t dev;
	ino_t ino;
};

struct io_timer {
	uint64_t deadline_ns;
	uint64_t seq;          /* start order: equal deadlines fire in the order they were set */
	io_timer_fn fn;
	void *arg;
	size_t heap_idx;       /* position in the heap while armed */
	uint8_t state;         /* enum io_timer_state (loop.c) */
	struct io_timer *next_free;
};

struct io_backend_ops {
	const char *name;
	/* Sets up the backend's part of loop; 0 or a FERRY_E* code, with the system's reason in
	 * *sys_errno. */
	int (*init)(struct io_loop *loop, int *sys_errno);
	/* Cancels whatever the backend still has in flight (no callbacks) and tears it down. */
	void (*fini)(struct io_loop *loop);
	/* In a forked child: releases this process's copy of the backend without touching what
	 * it shares with the parent (no cancels, no fd flag changes). */
	void (*fini_after_fork)(struct io_loop *loop);
	/* Takes a new ACTIVE op; must not complete it synchronously with a callback. */
	int (*start)(struct io_loop *loop, uint32_t idx);
	/* Asks for an ACTIVE op to end; the backend moves it to the done queue (now or later). */
	void (*cancel)(struct io_loop *loop, uint32_t idx);
	/* Issues queued work and waits up to timeout_ns (-1 = no limit, 0 = just poll) for
	 * completions, moving finished ops to the done queue. 0 or a FERRY_E* code. */
	int (*wait)(struct io_loop *loop, int64_t timeout_ns);
};

struct io_loop {
	const struct io_backend_ops *ops;
	void *be;                  /* backend state */

	struct io_op *op;          /* op table, op_cap entries */
	uint32_t op_cap;
	uint32_t op_used;          /* ops not FREE */
	struct io_list free_ops;
	struct io_list done;       /* finished ops waiting for their callbacks */

	struct io_fdslot *fds;     /* indexed by fd, fd_cap entries */
	size_t fd_cap;

	struct io_timer **heap;    /* min-heap on (deadline_ns, seq) */
	size_t heap_len, heap_cap;
	struct io_timer *timer_free;
	struct io_timer **timer_slabs; /* every slab allocated, freed with the loop */
	size_t n_slabs;
	uint64_t timer_seq;

	bool stop;
};

/* List helpers over the op table. */
void io_list_push(struct io_loop *loop, struct io_list *l, uint32_t idx);
void io_list_remove(struct io_loop *loop, struct io_list *l, uint32_t idx);

/* Moves an ACTIVE op to the done queue with its result (res >= 0 or a FERRY_E* code). */
void io_op_finish(struct io_loop *loop, uint32_t idx, ssize_t res, int sys_errno);
/* The slot for fd, or NULL if the loop has never seen fd. */
struct io_fdslot *io_fdslot_get(const struct io_loop *loop, int fd);

/* Monotonic nanoseconds. */
uint64_t io_now_ns(void);

extern const struct io_backend_ops io_backend_uring;
extern const struct io_backend_ops io_backend_epoll;

#endif
