/* The event loop: completion-style reads, writes and timers on io_uring (liburing), with an
 * epoll fallback picked at run time when io_uring is unavailable. Never parses a protocol. */
#ifndef FERRY_IO_LOOP_H
#define FERRY_IO_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct io_loop;
struct io_timer;

enum io_backend { IO_BACKEND_AUTO, IO_BACKEND_URING, IO_BACKEND_EPOLL };

/* A completion. res >= 0: bytes transferred (0 from a read is end of file); res < 0: a FERRY_E*
 * code, with the system's errno value in sys_errno (0 if none). Called from io_loop_run*, never
 * from inside the call that started the operation. */
typedef void (*io_done_fn)(void *arg, ssize_t res, int sys_errno);
typedef void (*io_timer_fn)(void *arg);

/* Creates a loop. IO_BACKEND_AUTO reads FERRY_IO (uring|epoll) and otherwise picks io_uring,
 * falling back to epoll when io_uring is unavailable (ENOSYS, EPERM, kernel.io_uring_disabled).
 * Forcing uring where it is unavailable is an error (FERRY_ENOTSUP). *out set only on success. */
int io_loop_new(enum io_backend backend, struct io_loop **out) FERRY_MUST_USE;
/* Cancels everything outstanding (no callbacks run), restores fd flags it changed, frees.
 * Accepts NULL. */
void io_loop_free(struct io_loop *loop);
/* In a child process forked while loop existed: frees the child's copy without cancelling or
 * changing anything the parent's loop still uses (the parent's operations go on; no callbacks
 * run in the child). The child must not use loop in any other way. Accepts NULL. */
void io_loop_free_after_fork(struct io_loop *loop);
/* "uring" or "epoll". */
const char *io_loop_backend_name(const struct io_loop *loop);

/* Reads up to len bytes from fd into buf (which must stay valid until completion); completes
 * when at least one byte was read, at end of file, or on error. At most one read per fd may be
 * outstanding (FERRY_EBUSY otherwise). Works on sockets, pipes, terminals and regular files. */
int io_read(struct io_loop *loop, int fd, void *buf, size_t len, io_done_fn done, void *arg)
	FERRY_MUST_USE;
/* Writes all len bytes of buf (valid until completion) to fd, requeueing short writes;
 * completes with res == len, or with an error. At most one write per fd may be outstanding. */
int io_write(struct io_loop *loop, int fd, const void *buf, size_t len, io_done_fn done,
	     void *arg) FERRY_MUST_USE;
/* Completes with res 0 once fd is readable, at end of file or hang-up, or when the file has an
 * error condition (the owner then reads to learn which); moves no data. One-shot. It takes
 * fd's read slot: an io_read and a poll on one fd at once is FERRY_EBUSY, io_read_pending is
 * true while it waits, and io_cancel_fd cancels it (its callback then runs with
 * FERRY_ECANCELED, or with 0 if readiness was already reported). For pidfds (readable when the
 * process exits), listening sockets (a connection to accept), signalfds, pipes and sockets. */
int io_poll_readable(struct io_loop *loop, int fd, io_done_fn done, void *arg) FERRY_MUST_USE;
/* Cancels the outstanding read (or poll) and write on fd, if any; their callbacks run later with
 * FERRY_ECANCELED (or with their result if they had already completed). */
void io_cancel_fd(struct io_loop *loop, int fd);
/* True if a read (or write) is outstanding on fd. */
bool io_read_pending(const struct io_loop *loop, int fd);
bool io_write_pending(const struct io_loop *loop, int fd);

/* A one-shot timer that fires after ms milliseconds. *out (if not NULL) identifies it for
 * io_timer_cancel until it fires. */
int io_timer_start(struct io_loop *loop, uint64_t ms, io_timer_fn fn, void *arg,
		   struct io_timer **out) FERRY_MUST_USE;
/* Cancels a timer that has not fired; its callback never runs. Accepts NULL. */
void io_timer_cancel(struct io_loop *loop, struct io_timer *timer);

/* Waits for completions and runs their callbacks. Returns after at least one callback ran, or
 * after timeout_ms (-1 = no limit), or at once if nothing is outstanding (FERRY_ENOENT).
 * Returns 0 or a FERRY_E* error from the backend. */
int io_loop_run_once(struct io_loop *loop, int timeout_ms) FERRY_MUST_USE;
/* Runs until io_loop_stop is called or nothing is outstanding. */
int io_loop_run(struct io_loop *loop) FERRY_MUST_USE;
void io_loop_stop(struct io_loop *loop);

/* Milliseconds on a monotonic clock. */
uint64_t io_now_ms(void);

#endif
