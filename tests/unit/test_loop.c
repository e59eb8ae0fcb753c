/* Unit tests for the event loop (io/loop.c): every test runs on both backends, io_uring and
 * epoll, in the same executable; plus the FERRY_IO choice. */
#include "io/loop.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static enum io_backend backend;

static struct io_loop *loop_new(void)
{
	struct io_loop *loop = NULL;
	int rc = io_loop_new(backend, &loop);
	CHECK_OK(rc);
	if (rc != 0) {
		fprintf(stderr, "cannot create a loop\n");
		exit(1);
	}
	return loop;
}

struct result {
	int calls;
	ssize_t res;
	int sys_errno;
};

static void on_done(void *arg, ssize_t res, int sys_errno)
{
	struct result *r = arg;
	r->calls++;
	r->res = res;
	r->sys_errno = sys_errno;
}

/* Runs the loop until *count reaches want, for at most about ten seconds. */
static void run_until(struct io_loop *loop, const int *count, int want)
{
	uint64_t give_up = io_now_ms() + 10000;
	while (*count < want && io_now_ms() < give_up) {
		int rc = io_loop_run_once(loop, 100);
		if (rc < 0) {
			CHECK_OK(rc);
			break;
		}
	}
	CHECK(*count >= want);
}

static void test_socketpair_read_write(void)
{
	struct io_loop *loop = loop_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	char in[64] = { 0 };
	struct result w = { 0 }, r = { 0 };
	CHECK_OK(io_write(loop, sv[0], "hello", 5, on_done, &w));
	CHECK_OK(io_read(loop, sv[1], in, sizeof(in), on_done, &r));
	/* Callbacks never run inside the call that started the op. */
	CHECK(w.calls == 0 && r.calls == 0);
	CHECK(io_write_pending(loop, sv[0]));
	CHECK(io_read_pending(loop, sv[1]));
	run_until(loop, &r.calls, 1);
	run_until(loop, &w.calls, 1);
	CHECK(w.res == 5);
	CHECK(r.res == 5);
	CHECK_MEM(in, "hello", 5);
	CHECK(!io_write_pending(loop, sv[0]));
	CHECK(!io_read_pending(loop, sv[1]));
	CHECK_RC(io_loop_run_once(loop, 0), FERRY_ENOENT);
	io_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
}

static void test_pipe_read_write(void)
{
	struct io_loop *loop = loop_new();
	int p[2];
	CHECK(pipe(p) == 0);
	char in[64] = { 0 };
	struct result w = { 0 }, r = { 0 };
	/* The read first, so it has to wait for the data. */
	CHECK_OK(io_read(loop, p[0], in, sizeof(in), on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(r.calls == 0);
	CHECK_OK(io_write(loop, p[1], "through a pipe", 14, on_done, &w));
	run_until(loop, &r.calls, 1);
	run_until(loop, &w.calls, 1);
	CHECK(w.res == 14);
	CHECK(r.res == 14);
	CHECK_MEM(in, "through a pipe", 14);
	io_loop_free(loop);
	close(p[0]);
	close(p[1]);
}

/* A reader that keeps reading into one big buffer until it has everything. */
struct drain {
	struct io_loop *loop;
	int fd;
	uint8_t *dst;
	size_t have, want;
	int done;
	ssize_t err;
	int reads;
};

static void drain_done(void *arg, ssize_t res, int sys_errno)
{
	struct drain *d = arg;
	d->reads++;
	if (res <= 0) {
		d->err = res;
		d->done = 1;
		return;
	}
	d->have += (size_t)res;
	if (d->have >= d->want) {
		d->done = 1;
		return;
	}
	size_t n = d->want - d->have;
	if (n > 65536)
		n = 65536;
	int rc = io_read(d->loop, d->fd, d->dst + d->have, n, drain_done, d);
	CHECK_OK(rc);
	if (rc < 0)
		d->done = 1;
}

static void test_large_pipe_write_drained_concurrently(void)
{
	struct io_loop *loop = loop_new();
	const size_t size = 8u << 20;
	uint8_t *src = malloc(size), *dst = calloc(1, size);
	CHECK(src != NULL && dst != NULL);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < size; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		src[i] = (uint8_t)x;
	}
	int p[2];
	CHECK(pipe(p) == 0);
	struct result w = { 0 };
	struct drain d = { .loop = loop, .fd = p[0], .dst = dst, .want = size };
	CHECK_OK(io_write(loop, p[1], src, size, on_done, &w));
	CHECK_OK(io_read(loop, p[0], dst, 65536, drain_done, &d));
	run_until(loop, &d.done, 1);
	run_until(loop, &w.calls, 1);
	CHECK(w.calls == 1);
	CHECK(w.res == (ssize_t)size);
	CHECK(d.err == 0);
	CHECK(d.have == size);
	CHECK(memcmp(src, dst, size) == 0);
	CHECK(d.reads > 1);
	io_loop_free(loop);
	close(p[0]);
	close(p[1]);
	free(src);
	free(dst);
}

static void test_eof_on_close(void)
{
	struct io_loop *loop = loop_new();
	int p[2], sv[2];
	CHECK(pipe(p) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	char b1[8], b2[8];
	struct result r1 = { 0 }, r2 = { 0 };
	CHECK_OK(io_read(loop, p[0], b1, sizeof(b1), on_done, &r1));
	CHECK_OK(io_read(loop, sv[0], b2, sizeof(b2), on_done, &r2));
	CHECK_OK(io_loop_run_once(loop, 10));
	close(p[1]);
	close(sv[1]);
	run_until(loop, &r1.calls, 1);
	run_until(loop, &r2.calls, 1);
	CHECK(r1.res == 0);
	CHECK(r2.res == 0);
	io_loop_free(loop);
	close(p[0]);
	close(sv[0]);
}

static void test_regular_file(void)
{
	struct io_loop *loop = loop_new();
	char path[] = "/tmp/ferry-test-loop-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	struct result w = { 0 }, r = { 0 };
	const char text[] = "0123456789abcdef";
	CHECK_OK(io_write(loop, fd, text, 16, on_done, &w));
	run_until(loop, &w.calls, 1);
	CHECK(w.res == 16);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	/* Reads use and advance the file position, like read(2). */
	char in[10] = { 0 };
	CHECK_OK(io_read(loop, fd, in, 10, on_done, &r));
	run_until(loop, &r.calls, 1);
	CHECK(r.res == 10);
	CHECK_MEM(in, "0123456789", 10);
	CHECK_OK(io_read(loop, fd, in, 10, on_done, &r));
	run_until(loop, &r.calls, 2);
	CHECK(r.res == 6);
	CHECK_MEM(in, "abcdef", 6);
	CHECK_OK(io_read(loop, fd, in, 10, on_done, &r));
	run_until(loop, &r.calls, 3);
	CHECK(r.res == 0);
	io_loop_free(loop);
	close(fd);
}

static void test_dev_null(void)
{
	struct io_loop *loop = loop_new();
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	static char junk[100000];
	char in[16];
	struct result w = { 0 }, r = { 0 };
	CHECK_OK(io_read(loop, fd, in, sizeof(in), on_done, &r));
	CHECK_OK(io_write(loop, fd, junk, sizeof(junk), on_done, &w));
	CHECK(r.calls == 0 && w.calls == 0);
	run_until(loop, &r.calls, 1);
	run_until(loop, &w.calls, 1);
	CHECK(r.res == 0);
	CHECK(w.res == (ssize_t)sizeof(junk));
	io_loop_free(loop);
	close(fd);
}

static void test_concurrent_read_write_one_socket(void)
{
	struct io_loop *loop = loop_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	char a_in[16] = { 0 }, b_in[16] = { 0 };
	struct result a_r = { 0 }, a_w = { 0 }, b_r = { 0 }, b_w = { 0 };
	/* One read and one write outstanding on sv[0] at once, and the same on sv[1]. */
	CHECK_OK(io_read(loop, sv[0], a_in, sizeof(a_in), on_done, &a_r));
	CHECK_OK(io_read(loop, sv[1], b_in, sizeof(b_in), on_done, &b_r));
	CHECK_OK(io_loop_run_once(loop, 10));
	CHECK_OK(io_write(loop, sv[0], "ping", 4, on_done, &a_w));
	CHECK_OK(io_write(loop, sv[1], "pong", 4, on_done, &b_w));
	CHECK(io_read_pending(loop, sv[0]) && io_write_pending(loop, sv[0]));
	run_until(loop, &a_r.calls, 1);
	run_until(loop, &b_r.calls, 1);
	run_until(loop, &a_w.calls, 1);
	run_until(loop, &b_w.calls, 1);
	CHECK(a_r.res == 4 && b_r.res == 4 && a_w.res == 4 && b_w.res == 4);
	CHECK_MEM(a_in, "pong", 4);
	CHECK_MEM(b_in, "ping", 4);
	io_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
}

static void test_second_read_is_busy(void)
{
	struct io_loop *loop = loop_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	char b1[8], b2[8];
	struct result r1 = { 0 }, r2 = { 0 }, w1 = { 0 }, w2 = { 0 };
	CHECK_OK(io_read(loop, sv[0], b1, sizeof(b1), on_done, &r1));
	CHECK_RC(io_read(loop, sv[0], b2, sizeof(b2), on_done, &r2), FERRY_EBUSY);
	CHECK_OK(io_write(loop, sv[0], "x", 1, on_done, &w1));
	CHECK_RC(io_write(loop, sv[0], "y", 1, on_done, &w2), FERRY_EBUSY);
	/* Bad arguments are refused, and nothing is started. */
	CHECK_RC(io_read(loop, -1, b2, sizeof(b2), on_done, &r2), FERRY_EINVAL);
	CHECK_RC(io_read(loop, sv[1], b2, 0, on_done, &r2), FERRY_EINVAL);
	CHECK_RC(io_read(loop, sv[1], b2, sizeof(b2), NULL, &r2), FERRY_EINVAL);
	CHECK(!io_read_pending(loop, sv[1]));
	io_cancel_fd(loop, sv[0]);
	run_until(loop, &r1.calls, 1);
	run_until(loop, &w1.calls, 1);
	CHECK(r2.calls == 0 && w2.calls == 0);
	io_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
}

static void test_zero_length_write(void)
{
	struct io_loop *loop = loop_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct result w = { 0 };
	CHECK_OK(io_write(loop, sv[0], "", 0, on_done, &w));
	CHECK(w.calls == 0);
	run_until(loop, &w.calls, 1);
	CHECK(w.res == 0);
	io_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
}

/* ---- timers ---- */

struct order {
	int fired[8];
	int n;
	struct io_loop *loop;
	struct io_timer *victim;
};

struct tick {
	struct order *o;
	int id;
};

static void on_tick(void *arg)
{
	struct tick *t = arg;
	if (t->o->n < 8)
		t->o->fired[t->o->n] = t->id;
	t->o->n++;
}

static void test_timers_fire_in_order(void)
{
	struct io_loop *loop = loop_new();
	struct order o = { .loop = loop };
	struct tick t[5] = { { &o, 30 }, { &o, 10 }, { &o, 20 }, { &o, 11 }, { &o, 0 } };
	uint64_t start = io_now_ms();
	CHECK_OK(io_timer_start(loop, 30, on_tick, &t[0], NULL));
	CHECK_OK(io_timer_start(loop, 10, on_tick, &t[1], NULL));
	CHECK_OK(io_timer_start(loop, 20, on_tick, &t[2], NULL));
	CHECK_OK(io_timer_start(loop, 10, on_tick, &t[3], NULL)); /* same time: after t[1] */
	CHECK_OK(io_timer_start(loop, 0, on_tick, &t[4], NULL));
	CHECK(o.n == 0);
	CHECK_OK(io_loop_run(loop));
	CHECK(io_now_ms() - start >= 30);
	CHECK(o.n == 5);
	CHECK(o.fired[0] == 0 && o.fired[1] == 10 && o.fired[2] == 11 && o.fired[3] == 20 &&
	      o.fired[4] == 30);
	CHECK_RC(io_loop_run_once(loop, -1), FERRY_ENOENT);
	io_loop_free(loop);
}

static void on_tick_cancel_victim(void *arg)
{
	struct tick *t = arg;
	on_tick(arg);
	io_timer_cancel(t->o->loop, t->o->victim);
}

static void test_timer_cancel(void)
{
	struct io_loop *loop = loop_new();
	struct order o = { .loop = loop };
	struct tick a = { &o, 1 }, b = { &o, 2 }, c = { &o, 3 }, d = { &o, 4 };
	struct io_timer *ta = NULL, *tc = NULL;
	CHECK_OK(io_timer_start(loop, 5, on_tick, &a, &ta));
	CHECK_OK(io_timer_start(loop, 10, on_tick_cancel_victim, &b, NULL));
	CHECK_OK(io_timer_start(loop, 15, on_tick, &c, &tc));
	CHECK_OK(io_timer_start(loop, 20, on_tick, &d, NULL));
	CHECK(ta != NULL && tc != NULL);
	io_timer_cancel(loop, ta);
	io_timer_cancel(loop, NULL);
	o.victim = tc; /* b's callback cancels c */
	CHECK_OK(io_loop_run(loop));
	CHECK(o.n == 2);
	CHECK(o.fired[0] == 2 && o.fired[1] == 4);
	/* Cancelling every timer leaves nothing outstanding. */
	struct io_timer *te = NULL;
	CHECK_OK(io_timer_start(loop, 1000, on_tick, &a, &te));
	io_timer_cancel(loop, te);
	CHECK_RC(io_loop_run_once(loop, 0), FERRY_ENOENT);
	CHECK(o.n == 2);
	io_loop_free(loop);
}

static void on_tick_stop(void *arg)
{
	struct tick *t = arg;
	on_tick(arg);
	io_loop_stop(t->o->loop);
}

static void test_run_stop_and_timeout(void)
{
	struct io_loop *loop = loop_new();
	struct order o = { .loop = loop };
	struct tick a = { &o, 1 }, b = { &o, 2 };
	CHECK_OK(io_timer_start(loop, 1, on_tick_stop, &a, NULL));
	CHECK_OK(io_timer_start(loop, 60000, on_tick, &b, NULL));
	CHECK_OK(io_loop_run(loop));
	CHECK(o.n == 1);
	/* run_once with a limit returns when it runs out, having run nothing. */
	uint64_t start = io_now_ms();
	CHECK_OK(io_loop_run_once(loop, 30));
	uint64_t took = io_now_ms() - start;
	CHECK(took >= 29 && took < 2000);
	CHECK(o.n == 1);
	io_loop_free(loop); /* the 60 s timer never fires */
	CHECK(o.n == 1);
}

/* ---- cancellation ---- */

static void test_cancel_fd_gives_ecanceled(void)
{
	struct io_loop *loop = loop_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	char in[16];
	struct result r = { 0 };
	CHECK_OK(io_read(loop, sv[0], in, sizeof(in), on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 10)); /* let it reach the kernel */
	io_cancel_fd(loop, sv[0]);
	io_cancel_fd(loop, sv[0]); /* twice is harmless */
	io_cancel_fd(loop, 12345); /* never seen: harmless */
	CHECK(r.calls == 0);
	CHECK(io_read_pending(loop, sv[0])); /* until its callback has run */
	run_until(loop, &r.calls, 1);
	CHECK(r.calls == 1);
	CHECK(r.res == FERRY_ECANCELED);
	CHECK(r.sys_errno == ECANCELED);
	CHECK(!io_read_pending(loop, sv[0]));
	/* The fd can be read again afterwards. */
	CHECK(write(sv[1], "z", 1) == 1);
	CHECK_OK(io_read(loop, sv[0], in, sizeof(in), on_done, &r));
	run_until(loop, &r.calls, 2);
	CHECK(r.res == 1 && in[0] == 'z');

	/* Cancelled before the loop ever ran. */
	CHECK_OK(io_read(loop, sv[0], in, sizeof(in), on_done, &r));
	io_cancel_fd(loop, sv[0]);
	run_until(loop, &r.calls, 3);
	CHECK(r.res == FERRY_ECANCELED);
	io_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
}

/* An object that owns an fd and a read buffer and frees itself when its read is cancelled. */
struct owner {
	int fd;
	char buf[256];
	int *freed;
};

static void owner_done(void *arg, ssize_t res, int sys_errno)
{
	struct owner *o = arg;
	CHECK(res == FERRY_ECANCELED);
	*o->freed = 1;
	free(o);
}

static void test_cancel_then_free_owner(void)
{
	struct io_loop *loop = loop_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	int freed = 0;
	struct owner *o = calloc(1, sizeof(*o));
	o->fd = sv[0];
	o->freed = &freed;
	CHECK_OK(io_read(loop, sv[0], o->buf, sizeof(o->buf), owner_done, o));
	CHECK_OK(io_loop_run_once(loop, 10));
	io_cancel_fd(loop, sv[0]);
	run_until(loop, &freed, 1);
	/* Memory like the freed buffer, then data on the socket: the loop must not touch the
	 * old buffer, and the data must still be there for a plain read. */
	char *again = malloc(sizeof(o->buf));
	memset(again, 0x5a, sizeof(o->buf));
	CHECK(write(sv[1], "data", 4) == 4);
	CHECK_RC(io_loop_run_once(loop, 20), FERRY_ENOENT);
	char in[8];
	CHECK(recv(sv[0], in, sizeof(in), MSG_DONTWAIT) == 4);
	char want[256];
	memset(want, 0x5a, sizeof(want));
	CHECK_MEM(again, want, sizeof(want));
	free(again);
	io_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
}

/* A callback that cancels another fd's op and starts a new one. */
struct juggle {
	struct io_loop *loop;
	int other_fd;
	int next_fd;
	char buf[8];
	struct result *next;
	int calls;
};

static void juggle_done(void *arg, ssize_t res, int sys_errno)
{
	struct juggle *j = arg;
	j->calls++;
	io_cancel_fd(j->loop, j->other_fd);
	CHECK_OK(io_write(j->loop, j->next_fd, "next", 4, on_done, j->next));
}

static void test_callback_cancels_and_starts(void)
{
	struct io_loop *loop = loop_new();
	int a[2], b[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
	struct result other = { 0 }, next = { 0 };
	struct juggle j = { .loop = loop, .other_fd = b[0], .next_fd = a[1], .next = &next };
	char obuf[8];
	CHECK_OK(io_read(loop, a[0], j.buf, sizeof(j.buf), juggle_done, &j));
	CHECK_OK(io_read(loop, b[0], obuf, sizeof(obuf), on_done, &other));
	CHECK(write(a[1], "go", 2) == 2);
	run_until(loop, &j.calls, 1);
	run_until(loop, &other.calls, 1);
	run_until(loop, &next.calls, 1);
	CHECK(other.res == FERRY_ECANCELED);
	CHECK(next.res == 4);
	char in[8];
	CHECK(read(a[0], in, sizeof(in)) == 4);
	io_loop_free(loop);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void test_write_to_closed_pipe(void)
{
	struct io_loop *loop = loop_new();
	int p[2];
	CHECK(pipe(p) == 0);
	close(p[0]);
	struct result w = { 0 };
	CHECK_OK(io_write(loop, p[1], "lost", 4, on_done, &w));
	run_until(loop, &w.calls, 1);
	CHECK(w.res == FERRY_ECLOSED);
	CHECK(w.sys_errno == EPIPE);
	close(p[1]);
	/* And when the reader goes away in the middle of a big write. */
	int q[2];
	CHECK(pipe(q) == 0);
	static char big[1 << 20];
	struct result w2 = { 0 };
	CHECK_OK(io_write(loop, q[1], big, sizeof(big), on_done, &w2));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(w2.calls == 0);
	close(q[0]);
	run_until(loop, &w2.calls, 1);
	CHECK(w2.res == FERRY_ECLOSED);
	CHECK(w2.sys_errno == EPIPE);
	io_loop_free(loop);
	close(q[1]);
}

static void test_run_once_with_nothing_outstanding(void)
{
	struct io_loop *loop = loop_new();
	uint64_t start = io_now_ms();
	CHECK_RC(io_loop_run_once(loop, -1), FERRY_ENOENT);
	CHECK_RC(io_loop_run_once(loop, 1000), FERRY_ENOENT);
	CHECK(io_now_ms() - start < 500);
	CHECK_OK(io_loop_run(loop));
	io_loop_free(loop);
	io_loop_free(NULL);
}

static void test_free_with_ops_outstanding(void)
{
	struct io_loop *loop = loop_new();
	int sv[2], p[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pipe(p) == 0);
	char *b1 = malloc(64), *b2 = malloc(64);
	struct result r1 = { 0 }, r2 = { 0 }, w = { 0 };
	struct order o = { .loop = loop };
	struct tick t = { &o, 1 };
	static char big[1 << 20];
	CHECK_OK(io_read(loop, sv[0], b1, 64, on_done, &r1));
	CHECK_OK(io_read(loop, p[0], b2, 64, on_done, &r2));
	CHECK_OK(io_write(loop, sv[1], big, sizeof(big), on_done, &w));
	CHECK_OK(io_timer_start(loop, 1, on_tick, &t, NULL));
	CHECK_OK(io_loop_run_once(loop, 0));
	io_loop_free(loop);
	CHECK(r2.calls == 0 && w.calls == 0 && o.n == 0);
	/* The kernel has let go: data arriving now stays in the pipe. */
	free(b2);
	CHECK(write(p[1], "q", 1) == 1);
	char c;
	CHECK(read(p[0], &c, 1) == 1 && c == 'q');
	free(b1);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

static void test_nonblocking_fd_from_caller(void)
{
	struct io_loop *loop = loop_new();
	int p[2];
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	char in[8] = { 0 };
	struct result r = { 0 }, w = { 0 };
	CHECK_OK(io_read(loop, p[0], in, sizeof(in), on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(r.calls == 0);
	CHECK_OK(io_write(loop, p[1], "nb", 2, on_done, &w));
	run_until(loop, &r.calls, 1);
	run_until(loop, &w.calls, 1);
	CHECK(r.res == 2 && w.res == 2);
	CHECK_MEM(in, "nb", 2);
	io_loop_free(loop);
	/* Flags the caller set are theirs: still non-blocking. */
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	close(p[0]);
	close(p[1]);
}

static void test_fd_flags_restored(void)
{
	struct io_loop *loop = loop_new();
	int p[2];
	CHECK(pipe(p) == 0);
	char in[8];
	struct result r = { 0 }, w = { 0 };
	CHECK_OK(io_read(loop, p[0], in, sizeof(in), on_done, &r));
	CHECK_OK(io_write(loop, p[1], "f", 1, on_done, &w));
	run_until(loop, &r.calls, 1);
	run_until(loop, &w.calls, 1);
	io_loop_free(loop);
	CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	CHECK(!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
	close(p[0]);
	close(p[1]);
}

/* An fd number closed and reused for another file between ops. */
static void test_fd_number_reused(void)
{
	struct io_loop *loop = loop_new();
	int p[2], q[2], sv[2];
	char in[8];
	struct result r = { 0 }, w = { 0 };
	CHECK(pipe(p) == 0);
	CHECK_OK(io_read(loop, p[0], in, sizeof(in), on_done, &r));
	CHECK_OK(io_write(loop, p[1], "1", 1, on_done, &w));
	run_until(loop, &r.calls, 1);
	run_until(loop, &w.calls, 1);
	int fd = p[0];
	close(p[0]);
	close(p[1]);

	/* A new (blocking) pipe in the same number: the read must wait, not block. */
	CHECK(pipe(q) == 0);
	CHECK(q[0] == fd);
	CHECK_OK(io_read(loop, q[0], in, sizeof(in), on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(r.calls == 1);
	CHECK(write(q[1], "2", 1) == 1);
	run_until(loop, &r.calls, 2);
	CHECK(r.res == 1 && in[0] == '2');
	close(q[0]);
	close(q[1]);

	/* Then a socket in the same number, read before any data is there. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(sv[0] == fd);
	CHECK_OK(io_read(loop, sv[0], in, sizeof(in), on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(r.calls == 2);
	CHECK(write(sv[1], "3", 1) == 1);
	run_until(loop, &r.calls, 3);
	CHECK(r.res == 1 && in[0] == '3');
	close(sv[0]);
	close(sv[1]);

	/* Then a pipe again where the socket was. */
	CHECK(pipe(q) == 0);
	CHECK(q[0] == fd);
	CHECK_OK(io_read(loop, q[0], in, sizeof(in), on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(r.calls == 3);
	CHECK(write(q[1], "4", 1) == 1);
	run_until(loop, &r.calls, 4);
	CHECK(r.res == 1 && in[0] == '4');
	io_loop_free(loop);
	close(q[0]);
	close(q[1]);
}

static void test_bad_fd(void)
{
	struct io_loop *loop = loop_new();
	char in[8];
	struct result r = { 0 };
	int fd = open("/dev/null", O_RDONLY);
	close(fd);
	CHECK_OK(io_read(loop, fd, in, sizeof(in), on_done, &r));
	run_until(loop, &r.calls, 1);
	CHECK(r.res == FERRY_EIO);
	CHECK(r.sys_errno == EBADF);
	io_loop_free(loop);
}

/* ---- readiness polls (io_poll_readable) ---- */

static void test_poll_pipe(void)
{
	struct io_loop *loop = loop_new();
	int p[2];
	CHECK(pipe(p) == 0);
	char in[8];
	struct result r = { 0 }, other = { 0 };
	CHECK_OK(io_poll_readable(loop, p[0], on_done, &r));
	CHECK(io_read_pending(loop, p[0]));
	/* A poll takes the read slot. */
	CHECK_RC(io_poll_readable(loop, p[0], on_done, &other), FERRY_EBUSY);
	CHECK_RC(io_read(loop, p[0], in, sizeof(in), on_done, &other), FERRY_EBUSY);
	CHECK_OK(io_loop_run_once(loop, 30));
	CHECK(r.calls == 0);
	CHECK(write(p[1], "x", 1) == 1);
	run_until(loop, &r.calls, 1);
	CHECK(r.res == 0 && r.sys_errno == 0);
	CHECK(!io_read_pending(loop, p[0]));
	/* The poll moved no data; with the byte still there, the next poll completes at once. */
	CHECK_OK(io_poll_readable(loop, p[0], on_done, &r));
	run_until(loop, &r.calls, 2);
	CHECK(r.res == 0);
	CHECK(read(p[0], in, sizeof(in)) == 1 && in[0] == 'x');
	/* Hang-up (the writer closed) is readiness too: a read then says end of file. */
	CHECK_OK(io_poll_readable(loop, p[0], on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(r.calls == 2);
	close(p[1]);
	run_until(loop, &r.calls, 3);
	CHECK(r.res == 0);
	CHECK(other.calls == 0);
	io_loop_free(loop);
	close(p[0]);
}

static void test_poll_and_write_on_one_socket(void)
{
	struct io_loop *loop = loop_new();
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	char in[8];
	struct result r = { 0 }, w = { 0 };
	CHECK_OK(io_poll_readable(loop, sv[0], on_done, &r));
	CHECK_OK(io_write(loop, sv[0], "out", 3, on_done, &w));
	run_until(loop, &w.calls, 1);
	CHECK(w.res == 3);
	CHECK(r.calls == 0);
	CHECK(read(sv[1], in, sizeof(in)) == 3);
	CHECK(write(sv[1], "in", 2) == 2);
	run_until(loop, &r.calls, 1);
	CHECK(r.res == 0);
	/* And after the poll, a real read gets the bytes. */
	CHECK_OK(io_read(loop, sv[0], in, sizeof(in), on_done, &r));
	run_until(loop, &r.calls, 2);
	CHECK(r.res == 2 && memcmp(in, "in", 2) == 0);
	io_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
}

static int pidfd_open_for(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void test_poll_pidfd_child_exit(void)
{
	struct io_loop *loop = loop_new();
	int go[2];
	CHECK(pipe(go) == 0);
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Exits when the parent says so. */
		char c;
		close(go[1]);
		_exit(read(go[0], &c, 1) == 1 ? 7 : 1);
	}
	close(go[0]);
	int pfd = pidfd_open_for(pid);
	if (pfd < 0) {
		printf("skip: pidfd_open: %s\n", strerror(errno));
		close(go[1]);
		(void)waitpid(pid, NULL, 0);
		io_loop_free(loop);
		return;
	}
	struct result r = { 0 };
	CHECK_OK(io_poll_readable(loop, pfd, on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 50));
	CHECK(r.calls == 0);
	int status = 0;
	CHECK(waitpid(pid, &status, WNOHANG) == 0); /* still running */
	CHECK(write(go[1], "g", 1) == 1);
	run_until(loop, &r.calls, 1);
	CHECK(r.res == 0);
	/* Readable means exited: reaping does not wait. */
	CHECK(waitpid(pid, &status, WNOHANG) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	io_loop_free(loop);
	close(pfd);
	close(go[1]);
}

static void test_poll_signalfd(void)
{
	struct io_loop *loop = loop_new();
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
	int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK(sfd >= 0);
	struct result r = { 0 };
	CHECK_OK(io_poll_readable(loop, sfd, on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(r.calls == 0);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	run_until(loop, &r.calls, 1);
	CHECK(r.res == 0);
	struct signalfd_siginfo si;
	CHECK(read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si));
	CHECK(si.ssi_signo == SIGUSR1);
	io_loop_free(loop);
	close(sfd);
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
}

static void test_poll_listening_socket(void)
{
	struct io_loop *loop = loop_new();
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(ls >= 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	CHECK(bind(ls, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(listen(ls, 8) == 0);
	CHECK(getsockname(ls, (struct sockaddr *)&sin, &len) == 0);
	struct result r = { 0 };
	for (int round = 1; round <= 3; round++) {
		CHECK_OK(io_poll_readable(loop, ls, on_done, &r));
		CHECK_OK(io_loop_run_once(loop, 10));
		CHECK(r.calls == round - 1);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0);
		run_until(loop, &r.calls, round);
		CHECK(r.res == 0);
		int a = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		CHECK(a >= 0);
		CHECK(accept4(ls, NULL, NULL, SOCK_CLOEXEC) < 0 && errno == EAGAIN);
		close(a);
		close(c);
	}
	io_loop_free(loop);
	close(ls);
}

static void test_poll_cancel(void)
{
	struct io_loop *loop = loop_new();
	int p[2];
	CHECK(pipe(p) == 0);
	struct result r = { 0 };
	/* Cancelled before it reached the kernel. */
	CHECK_OK(io_poll_readable(loop, p[0], on_done, &r));
	io_cancel_fd(loop, p[0]);
	run_until(loop, &r.calls, 1);
	CHECK(r.res == FERRY_ECANCELED && r.sys_errno == ECANCELED);
	/* Cancelled while waiting. */
	CHECK_OK(io_poll_readable(loop, p[0], on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 20));
	CHECK(r.calls == 1);
	io_cancel_fd(loop, p[0]);
	CHECK(io_read_pending(loop, p[0]));
	run_until(loop, &r.calls, 2);
	CHECK(r.res == FERRY_ECANCELED);
	CHECK(!io_read_pending(loop, p[0]));
	/* The fd can be polled again and data that arrives then is seen. */
	CHECK_OK(io_poll_readable(loop, p[0], on_done, &r));
	CHECK(write(p[1], "y", 1) == 1);
	run_until(loop, &r.calls, 3);
	CHECK(r.res == 0);
	/* Freed with a poll outstanding: no callback. */
	char c;
	CHECK(read(p[0], &c, 1) == 1);
	CHECK_OK(io_poll_readable(loop, p[0], on_done, &r));
	CHECK_OK(io_loop_run_once(loop, 10));
	io_loop_free(loop);
	CHECK(r.calls == 3);
	CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	close(p[0]);
	close(p[1]);
}

static void test_poll_bad_args(void)
{
	struct io_loop *loop = loop_new();
	struct result r = { 0 };
	CHECK_RC(io_poll_readable(loop, -1, on_done, &r), FERRY_EINVAL);
	CHECK_RC(io_poll_readable(loop, 0, NULL, &r), FERRY_EINVAL);
	CHECK_RC(io_poll_readable(NULL, 0, on_done, &r), FERRY_EINVAL);
	/* A closed fd is an error result, not a hang. */
	int fd = open("/dev/null", O_RDONLY);
	close(fd);
	CHECK_OK(io_poll_readable(loop, fd, on_done, &r));
	run_until(loop, &r.calls, 1);
	CHECK(r.res < 0 && r.sys_errno == EBADF);
	/* A file that is always readable. */
	fd = open("/dev/null", O_RDONLY);
	CHECK_OK(io_poll_readable(loop, fd, on_done, &r));
	run_until(loop, &r.calls, 2);
	CHECK(r.res == 0);
	close(fd);
	io_loop_free(loop);
}

/* A child forked while the parent's loop has a poll, a read and a timer outstanding frees its
 * copy; the parent's operations are untouched and its fds keep their flags. */
static void test_free_after_fork(void)
{
	struct io_loop *loop = loop_new();
	int p[2], q[2];
	CHECK(pipe(p) == 0);
	CHECK(pipe(q) == 0);
	char in[8];
	struct result r = { 0 }, rd = { 0 };
	CHECK_OK(io_poll_readable(loop, p[0], on_done, &r));
	CHECK_OK(io_read(loop, q[0], in, sizeof(in), on_done, &rd));
	CHECK_OK(io_loop_run_once(loop, 10));
	int flags_before = fcntl(q[0], F_GETFL);
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		io_loop_free_after_fork(loop);
		/* The child's own new loop works. */
		struct io_loop *mine = NULL;
		struct result cr = { 0 };
		if (io_loop_new(backend, &mine) != 0)
			_exit(2);
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || write(sv[1], "c", 1) != 1 ||
		    io_poll_readable(mine, sv[0], on_done, &cr) != 0 ||
		    io_loop_run_once(mine, 5000) != 0 || cr.calls != 1 || cr.res != 0)
			_exit(3);
		io_loop_free(mine);
		_exit(0);
	}
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(fcntl(q[0], F_GETFL) == flags_before);
	CHECK(r.calls == 0 && rd.calls == 0);
	CHECK(write(p[1], "a", 1) == 1);
	CHECK(write(q[1], "b", 1) == 1);
	run_until(loop, &r.calls, 1);
	run_until(loop, &rd.calls, 1);
	CHECK(r.res == 0);
	CHECK(rd.res == 1 && in[0] == 'b');
	io_loop_free(loop);
	io_loop_free_after_fork(NULL);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/* ---- backend choice ---- */

static bool have_uring;

static void test_env_selects_backend(void)
{
	char *saved = getenv("FERRY_IO") ? strdup(getenv("FERRY_IO")) : NULL;
	struct io_loop *loop = NULL;

	setenv("FERRY_IO", "epoll", 1);
	CHECK_OK(io_loop_new(IO_BACKEND_AUTO, &loop));
	if (loop != NULL)
		CHECK_STR(io_loop_backend_name(loop), "epoll");
	io_loop_free(loop);
	loop = NULL;

	setenv("FERRY_IO", "uring", 1);
	if (have_uring) {
		CHECK_OK(io_loop_new(IO_BACKEND_AUTO, &loop));
		if (loop != NULL)
			CHECK_STR(io_loop_backend_name(loop), "uring");
	} else {
		CHECK_RC(io_loop_new(IO_BACKEND_AUTO, &loop), FERRY_ENOTSUP);
		CHECK(loop == NULL);
	}
	io_loop_free(loop);
	loop = NULL;

	setenv("FERRY_IO", "kqueue", 1);
	CHECK_RC(io_loop_new(IO_BACKEND_AUTO, &loop), FERRY_EINVAL);
	CHECK(loop == NULL);
	/* An explicit backend does not look at FERRY_IO. */
	CHECK_OK(io_loop_new(IO_BACKEND_EPOLL, &loop));
	io_loop_free(loop);
	loop = NULL;

	unsetenv("FERRY_IO");
	CHECK_OK(io_loop_new(IO_BACKEND_AUTO, &loop));
	if (loop != NULL)
		CHECK_STR(io_loop_backend_name(loop), have_uring ? "uring" : "epoll");
	io_loop_free(loop);
	loop = NULL;

	if (saved != NULL)
		setenv("FERRY_IO", saved, 1);
	free(saved);
}

/* In a child: makes io_uring_setup fail with errnum, as kernel.io_uring_disabled (EPERM) or a
 * kernel without io_uring (ENOSYS) would. Returns false if seccomp is unavailable. */
static bool refuse_io_uring(int errnum)
{
#if defined(__x86_64__)
	const unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	const unsigned arch = AUDIT_ARCH_AARCH64;
#else
	const unsigned arch = 0;
#endif
	if (arch == 0)
		return false;
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)(errnum & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

/* Child exit codes: 0 = as expected, 77 = cannot test here, else the step that failed. */
static int fallback_child(int errnum)
{
	struct io_loop *loop = NULL;
	if (!refuse_io_uring(errnum))
		return 77;
	unsetenv("FERRY_IO");
	if (io_loop_new(IO_BACKEND_AUTO, &loop) != 0)
		return 1;
	if (strcmp(io_loop_backend_name(loop), "epoll") != 0)
		return 2;
	/* And the fallback loop works. */
	int sv[2];
	char in[4];
	struct result r = { 0 };
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || write(sv[1], "ok", 2) != 2 ||
	    io_read(loop, sv[0], in, sizeof(in), on_done, &r) != 0 ||
	    io_loop_run_once(loop, 5000) != 0 || r.res != 2)
		return 3;
	io_loop_free(loop);
	loop = NULL;
	if (io_loop_new(IO_BACKEND_URING, &loop) != FERRY_ENOTSUP || loop != NULL)
		return 4;
	setenv("FERRY_IO", "uring", 1);
	if (io_loop_new(IO_BACKEND_AUTO, &loop) != FERRY_ENOTSUP || loop != NULL)
		return 5;
	return 0;
}

static void test_fallback_when_uring_refused(void)
{
	const int errs[] = { EPERM, ENOSYS };
	for (size_t i = 0; i < 2; i++) {
		fflush(NULL);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(fallback_child(errs[i]));
		int status = 0;
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status));
		if (WEXITSTATUS(status) == 77) {
			printf("skip: seccomp unavailable, fallback not tested\n");
			return;
		}
		if (WEXITSTATUS(status) != 0)
			fprintf(stderr, "fallback with %s failed at step %d\n", strerror(errs[i]),
				WEXITSTATUS(status));
		CHECK(WEXITSTATUS(status) == 0);
	}
}

int main(void)
{
	/* ferry ignores SIGPIPE itself; the loop leaves signal dispositions alone. */
	signal(SIGPIPE, SIG_IGN);

	struct io_loop *probe = NULL;
	int rc = io_loop_new(IO_BACKEND_URING, &probe);
	have_uring = rc == 0;
	io_loop_free(probe);
	if (!have_uring)
		printf("skip: io_uring unavailable here (%s); testing epoll only\n",
		       ferry_strerror(rc));

	const enum io_backend backends[] = { IO_BACKEND_URING, IO_BACKEND_EPOLL };
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		backend = backends[i];
		if (backend == IO_BACKEND_URING && !have_uring)
			continue;
		printf("-- backend %s\n", backend == IO_BACKEND_URING ? "uring" : "epoll");
		RUN_TEST(test_socketpair_read_write);
		RUN_TEST(test_pipe_read_write);
		RUN_TEST(test_large_pipe_write_drained_concurrently);
		RUN_TEST(test_eof_on_close);
		RUN_TEST(test_regular_file);
		RUN_TEST(test_dev_null);
		RUN_TEST(test_concurrent_read_write_one_socket);
		RUN_TEST(test_second_read_is_busy);
		RUN_TEST(test_zero_length_write);
		RUN_TEST(test_timers_fire_in_order);
		RUN_TEST(test_timer_cancel);
		RUN_TEST(test_run_stop_and_timeout);
		RUN_TEST(test_cancel_fd_gives_ecanceled);
		RUN_TEST(test_cancel_then_free_owner);
		RUN_TEST(test_callback_cancels_and_starts);
		RUN_TEST(test_write_to_closed_pipe);
		RUN_TEST(test_run_once_with_nothing_outstanding);
		RUN_TEST(test_free_with_ops_outstanding);
		RUN_TEST(test_nonblocking_fd_from_caller);
		RUN_TEST(test_fd_flags_restored);
		RUN_TEST(test_fd_number_reused);
		RUN_TEST(test_bad_fd);
		RUN_TEST(test_poll_pipe);
		RUN_TEST(test_poll_and_write_on_one_socket);
		RUN_TEST(test_poll_pidfd_child_exit);
		RUN_TEST(test_poll_signalfd);
		RUN_TEST(test_poll_listening_socket);
		RUN_TEST(test_poll_cancel);
		RUN_TEST(test_poll_bad_args);
		RUN_TEST(test_free_after_fork);
	}
	printf("-- backend choice\n");
	RUN_TEST(test_env_selects_backend);
	RUN_TEST(test_fallback_when_uring_refused);
	return check_report();
}
